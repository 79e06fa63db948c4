import { describe, expect, it } from 'vitest'
import { connectorId } from '../../src/cli/init-command.js'
import { parseArgs } from '../../src/cli/parse-args.js'

const spec = { command: 'debug', values: ['configuration'], maxPositionals: 1 }

describe('parseArgs', () => {
  it('reads positionals, --name value, --name=value and flags', () => {
    const a = parseArgs(['dir', '--configuration', 'c.json', '--verbose'], spec)
    expect(a.positionals).toEqual(['dir'])
    expect(a.values).toEqual({ configuration: 'c.json' })
    expect([...a.flags]).toEqual(['verbose'])
    expect(parseArgs(['--configuration=x.json', '-h'], spec).values.configuration).toBe('x.json')
    expect(parseArgs(['-h'], spec).flags.has('help')).toBe(true)
  })

  it('accepts a value from its choices and rejects another with USAGE listing them', () => {
    const withChoices = { ...spec, values: ['destination'], choices: { destination: ['sqlite', 'duckdb'] } }
    expect(parseArgs(['--destination', 'duckdb'], withChoices).values.destination).toBe('duckdb')
    expect(() => parseArgs(['--destination=postgres'], withChoices)).toThrow('option --destination must be one of sqlite, duckdb, got "postgres" (see `sluice debug --help`)')
  })

  it('treats everything after -- as positionals', () => {
    expect(parseArgs(['--', '--odd-name'], spec).positionals).toEqual(['--odd-name'])
  })

  it('rejects unknown options, missing values and extra arguments with USAGE', () => {
    expect(() => parseArgs(['--nope'], spec)).toThrow(/unknown option --nope/)
    expect(() => parseArgs(['-x'], spec)).toThrow(/unknown option -x/)
    expect(() => parseArgs(['--configuration'], spec)).toThrow(/--configuration needs a value/)
    expect(() => parseArgs(['a', 'b'], spec)).toThrow(/unexpected argument "b"/)
    try {
      parseArgs(['--nope'], spec)
    } catch (error) {
      expect((error as { code: string }).code).toBe('USAGE')
    }
  })
})

describe('connectorId', () => {
  it('derives a lower snake case id that starts with a letter', () => {
    expect(connectorId('My-Shop')).toBe('my_shop')
    expect(connectorId('fdaFoodRecalls')).toBe('fda_food_recalls')
    expect(connectorId('2024 data')).toBe('connector_2024_data')
    expect(connectorId('---')).toBe('connector_new')
  })
})
