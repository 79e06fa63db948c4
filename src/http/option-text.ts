/**
 * An option as the user writes it, for error messages: `optionText('rest', 'timeouts.totalMs')` is
 * `rest({ timeouts: { totalMs } })`, `optionText('graphql.http', 'maxResponseBytes')` is
 * `graphql({ http: { maxResponseBytes } })`. `at` is the factory, then the keys down to where the options sit.
 */
export function optionText(at: string, path: string): string {
  const [factory, ...outer] = at.split('.')
  const keys = [...outer, ...path.split('.')]
  let text = keys.at(-1)!
  for (let i = keys.length - 2; i >= 0; i--) text = `${keys[i]}: { ${text} }`
  return `${factory}({ ${text} })`
}
