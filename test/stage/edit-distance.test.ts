import { describe, expect, it } from 'vitest'
import { editDistance } from '../../src/stage/edit-distance.js'
import { nearMiss, nearNames } from '../../src/stage/unmatched-names.js'

describe('editDistance', () => {
  it('counts inserts, deletes, substitutions and a swap of neighbours as one edit each', () => {
    expect(editDistance('email', 'email')).toBe(0)
    expect(editDistance('emial', 'email')).toBe(1) // swap
    expect(editDistance('emal', 'email')).toBe(1) // insert
    expect(editDistance('emaill', 'email')).toBe(1) // delete
    expect(editDistance('emoil', 'email')).toBe(1) // substitute
    expect(editDistance('', 'abc')).toBe(3)
    expect(editDistance('kitten', 'sitting')).toBe(3)
  })

  it('stops past max, returning max + 1', () => {
    expect(editDistance('customers', 'users', 2)).toBe(3)
    expect(editDistance('a', 'abcdefgh', 2)).toBe(3)
    expect(editDistance('customers', 'users')).toBe(4)
  })
})

describe('nearMiss and nearNames', () => {
  it('a near miss is one edit under 8 characters, two from 8, never under 4, and any difference of case or separators', () => {
    expect(nearMiss('usres', 'users')).toBe(true)
    expect(nearMiss('nickname', 'nick_name')).toBe(true)
    expect(nearMiss('customer_id', 'custmer_di')).toBe(true)
    expect(nearMiss('emil', 'email')).toBe(true)
    expect(nearMiss('ssn', 'sin')).toBe(false)
    expect(nearMiss('users', 'user')).toBe(true)
    expect(nearMiss('orders', 'odrs')).toBe(false)
    expect(nearMiss('Email', 'email')).toBe(true)
    expect(nearMiss('email', 'email')).toBe(false)
  })

  it('suggests the nearest names first, prefixes too, and nothing when nothing is close', () => {
    expect(nearNames('emial', ['id', 'name', 'email'])).toEqual(['email'])
    expect(nearNames('address', ['id', 'address__city', 'address__zip'])).toEqual(['address__city', 'address__zip'])
    expect(nearNames('usr', ['users', 'user', 'orders'])).toEqual(['user', 'users'])
    expect(nearNames('customers', ['users', 'orders'])).toEqual([])
  })
})
