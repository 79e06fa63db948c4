import { expect, it } from 'vitest'
import { CONNECTOR, diagnose, settled, sleep, startRig } from './support/fleet-rig.js'
import { tableSummary, savedStates } from './support/destination-check.js'
it('scratch', async () => {
  const rig = await startRig({ name: 'scratch', rows: 20_000, span: 2_500 })
  try {
    await rig.startWorkers(2)
    const run = await rig.fleet.sync(CONNECTOR)
    const o = settled(run.finished())
    for (let i = 0; i < 300 && !o.done; i++) await sleep(100)
    console.log(JSON.stringify(o), await diagnose(rig, 40))
    console.log(await tableSummary(rig.schema).catch(String), await savedStates(rig.schema).catch(String))
  } finally { await rig.close() }
}, 120_000)
