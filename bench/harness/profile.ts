import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'

/**
 * CPU profile of the timed part only (`BENCH_PROFILE=/tmp/x.cpuprofile`): `--cpu-prof` would also
 * record generating the rows and loading tsx, which drown the case in a 1M-row run.
 * Open the file in Chrome DevTools or VS Code.
 */
export async function profiled<T>(file: string | undefined, work: () => Promise<T>): Promise<T> {
  if (!file) return work()
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 200 }) // µs
  await session.post('Profiler.start')
  try {
    return await work()
  } finally {
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(file, JSON.stringify(profile))
    session.disconnect()
  }
}
