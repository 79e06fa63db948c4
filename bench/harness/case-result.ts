/** What a child process reports for one case run. */
export type CaseResult =
  | {
      readonly ok: true
      readonly rows: number
      /** Wall-clock time of `run`. */
      readonly ms: number
      /** CPU time (user + system, all threads) of `run`: steadier than wall time on a busy VM, but blind to I/O waits. */
      readonly cpuMs: number
      /** `process.resourceUsage().maxRSS` at the end of the child, in MB. */
      readonly peakRssMb: number
      /** RSS after the input was loaded and the case prepared, after a GC, just before timing, in MB. */
      readonly inputRssMb: number
    }
  | { readonly ok: false; readonly error: string }
