/**
 * Just enough of the WebAssembly binary format (core spec 1.0 + fixed-width SIMD + bulk memory)
 * to emit the HMAC kernel: one exported memory, functions over i32 and v128 locals, and the
 * instructions the kernel uses. Writing the bytes here keeps the kernel's source in TypeScript
 * (its rounds unrolled by a loop, not by hand) with no build step, no generated file and no
 * assembler dependency; `WebAssembly.Module` validates the result when it is compiled.
 */

export type ValueType = 'i32' | 'v128'

const VALUE_TYPE: Record<ValueType, number> = { i32: 0x7f, v128: 0x7b }

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = []
  do {
    let byte = n & 0x7f
    n >>>= 7
    if (n !== 0) byte |= 0x80
    out.push(byte)
  } while (n !== 0)
  return out
}

/** Signed LEB128 of a 32-bit integer. */
function sleb(n: number): number[] {
  n |= 0
  const out: number[] = []
  for (;;) {
    const byte = n & 0x7f
    n >>= 7
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte)
      return out
    }
    out.push(byte | 0x80)
  }
}

const vec = (items: readonly number[][]): number[] => [...uleb(items.length), ...items.flat()]
const name = (text: string): number[] => {
  const bytes = [...Buffer.from(text, 'utf8')]
  return [...uleb(bytes.length), ...bytes]
}

/** A local (or parameter) of the function being written: its index. */
export type Local = number

/**
 * The body of one function, written as a stack machine: each method appends one instruction.
 * Memory offsets are byte offsets added to the address operand (`memarg.offset`).
 */
export class FunctionWriter {
  readonly #code: number[] = []
  readonly #locals: ValueType[] = []
  readonly #paramCount: number

  constructor(readonly params: readonly ValueType[], readonly results: readonly ValueType[] = []) {
    this.#paramCount = params.length
  }

  /** The index of parameter `i`. */
  param(i: number): Local {
    return i
  }

  /** A new local of `type`. */
  local(type: ValueType): Local {
    this.#locals.push(type)
    return this.#paramCount + this.#locals.length - 1
  }

  #op(...bytes: number[]): this {
    for (const b of bytes) this.#code.push(b)
    return this
  }

  #simd(op: number, ...immediates: number[]): this {
    return this.#op(0xfd, ...uleb(op), ...immediates)
  }

  // Control
  block(): this { return this.#op(0x02, 0x40) }
  loop(): this { return this.#op(0x03, 0x40) }
  if(): this { return this.#op(0x04, 0x40) }
  else(): this { return this.#op(0x05) }
  end(): this { return this.#op(0x0b) }
  br(depth: number): this { return this.#op(0x0c, ...uleb(depth)) }
  brIf(depth: number): this { return this.#op(0x0d, ...uleb(depth)) }
  call(fn: number): this { return this.#op(0x10, ...uleb(fn)) }
  select(): this { return this.#op(0x1b) }

  // Locals
  get(l: Local): this { return this.#op(0x20, ...uleb(l)) }
  set(l: Local): this { return this.#op(0x21, ...uleb(l)) }
  tee(l: Local): this { return this.#op(0x22, ...uleb(l)) }

  // i32
  i32(value: number): this { return this.#op(0x41, ...sleb(value)) }
  i32Load(offset = 0): this { return this.#op(0x28, 2, ...uleb(offset)) }
  i32Store(offset = 0): this { return this.#op(0x36, 2, ...uleb(offset)) }
  i32Store8(offset = 0): this { return this.#op(0x3a, 0, ...uleb(offset)) }
  i32Eqz(): this { return this.#op(0x45) }
  i32Eq(): this { return this.#op(0x46) }
  i32LtS(): this { return this.#op(0x48) }
  i32LtU(): this { return this.#op(0x49) }
  i32GtS(): this { return this.#op(0x4a) }
  i32GeS(): this { return this.#op(0x4e) }
  i32Add(): this { return this.#op(0x6a) }
  i32Sub(): this { return this.#op(0x6b) }
  i32Shl(): this { return this.#op(0x74) }
  i32ShrU(): this { return this.#op(0x76) }

  // Bulk memory
  memoryCopy(): this { return this.#op(0xfc, 10, 0, 0) }
  memoryFill(): this { return this.#op(0xfc, 11, 0) }

  // v128 (fixed-width SIMD; 32-bit lanes only)
  v128Load(offset = 0): this { return this.#simd(0x00, 4, ...uleb(offset)) }
  v128Store(offset = 0): this { return this.#simd(0x0b, 4, ...uleb(offset)) }
  v128Const(lanes: readonly [number, number, number, number]): this {
    const bytes = Buffer.alloc(16)
    lanes.forEach((v, i) => bytes.writeInt32LE(v | 0, 4 * i))
    return this.#simd(0x0c, ...bytes)
  }
  /** A v128 whose four lanes are `value`. */
  splatConst(value: number): this { return this.v128Const([value, value, value, value]) }
  /** Bytes of the two operands picked by index (0–15 the first, 16–31 the second). */
  shuffle(lanes: readonly number[]): this { return this.#simd(0x0d, ...lanes) }
  /** Bytes of the first operand picked by the second's bytes (an index ≥ 16 picks 0). */
  swizzle(): this { return this.#simd(0x0e) }
  i32x4Splat(): this { return this.#simd(0x11) }
  i32x4ExtractLane(lane: number): this { return this.#simd(0x1b, lane) }
  i32x4ReplaceLane(lane: number): this { return this.#simd(0x1c, lane) }
  i32x4GtS(): this { return this.#simd(0x3b) }
  v128And(): this { return this.#simd(0x4e) }
  v128Or(): this { return this.#simd(0x50) }
  v128Xor(): this { return this.#simd(0x51) }
  /** `(a & c) | (b & ~c)` for operands a, b, c. */
  v128Bitselect(): this { return this.#simd(0x52) }
  v128Load32Lane(lane: number, offset = 0): this { return this.#simd(0x56, 2, ...uleb(offset), lane) }
  v128Store32Lane(lane: number, offset = 0): this { return this.#simd(0x5a, 2, ...uleb(offset), lane) }
  i32x4Shl(): this { return this.#simd(0xab) }
  i32x4ShrU(): this { return this.#simd(0xad) }
  i32x4Add(): this { return this.#simd(0xae) }

  /** The function's code entry: locals, then the body and its `end`. */
  encode(): number[] {
    const groups: number[][] = this.#locals.map((t) => [1, VALUE_TYPE[t]])
    const body = [...vec(groups), ...this.#code, 0x0b]
    return [...uleb(body.length), ...body]
  }
}

export interface ModuleSpec {
  /** Initial pages (64 KiB each) of the module's one memory, exported as `memory`. */
  readonly memoryPages: number
  /** The functions, in index order; the named ones are exported. */
  readonly functions: readonly { readonly writer: FunctionWriter; readonly export?: string }[]
}

/** The module's bytes. */
export function encodeModule(spec: ModuleSpec): Uint8Array {
  const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content]
  const types = spec.functions.map(({ writer }) => [
    0x60,
    ...vec(writer.params.map((t) => [VALUE_TYPE[t]])),
    ...vec(writer.results.map((t) => [VALUE_TYPE[t]])),
  ])
  const exports: number[][] = [[...name('memory'), 0x02, 0]]
  spec.functions.forEach((f, i) => {
    if (f.export) exports.push([...name(f.export), 0x00, ...uleb(i)])
  })
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(3, vec(spec.functions.map((_, i) => uleb(i)))),
    ...section(5, vec([[0x00, ...uleb(spec.memoryPages)]])),
    ...section(7, vec(exports)),
    ...section(10, vec(spec.functions.map(({ writer }) => writer.encode()))),
  ])
}

/** A compiled module (a `WebAssembly.Module`; structured-cloneable, so a worker can instantiate it too). */
export type WasmModule = object

/** An instance's linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule
  Instance: new (module: WasmModule) => { exports: unknown }
}

// The package targets Node without the DOM lib, whose types carry `WebAssembly`: the part used here,
// typed. Looked up when used: `node --jitless` has no WebAssembly at all.
const wasm = (): WasmApi | undefined => (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly

/** Compiles module bytes (validating them); `undefined` where WebAssembly is unavailable or refuses them. */
export function compileModule(bytes: Uint8Array): WasmModule | undefined {
  const api = wasm()
  if (typeof api?.Module !== 'function') return undefined
  try {
    return new api.Module(bytes)
  } catch {
    return undefined // e.g. a runtime without fixed-width SIMD
  }
}

/** A new instance of `module`, with its own memory; its exports. */
export function instantiate<Exports>(module: WasmModule): Exports {
  const api = wasm()!
  return new api.Instance(module).exports as Exports
}
