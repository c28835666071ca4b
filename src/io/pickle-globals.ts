// The restricted set of globals: exactly what torch.load(weights_only=True) allows, and the meaning of
// calling each one. Anything else (os.system, builtins.eval, any class) is refused by name. Nothing is
// ever imported or executed: each allowed callable is reimplemented here as a pure data transformation.
import { dtypeFromStorageClass, dtypeFromTorchName, DTYPE_NAMES, dtypeSize, type DTypeName } from './dtypes.js';
import { isTuple, PyDict, PyGlobal, PyStorage, PyTensor } from './pickle-types.js';

const REBUILD_SUPPORTED = new Set([
  'torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state',
  'torch._tensor._rebuild_from_type_v2',
]);
// Allowed by torch but describing tensors tlearn has no use for; refused with a specific message.
const REBUILD_UNSUPPORTED = new Set([
  'torch._utils._rebuild_sparse_tensor', 'torch._utils._rebuild_sparse_csr_tensor',
  'torch._utils._rebuild_meta_tensor_no_storage', 'torch._utils._rebuild_qtensor',
  'torch._utils._rebuild_wrapper_subclass', 'torch._utils._rebuild_device_tensor_from_numpy',
  'torch._utils._rebuild_device_tensor_from_cpu_tensor',
]);
const PLAIN = new Set([
  'collections.OrderedDict', 'collections.Counter', 'torch.nn.parameter.Parameter', 'torch.Tensor',
  'torch.Size', 'torch.device', 'torch.serialization._get_layout', '_codecs.encode', 'builtins.bytearray',
  'builtins.set', 'builtins.complex', 'torch.per_tensor_affine', 'torch.per_tensor_symmetric',
  'torch.per_channel_affine', 'torch.per_channel_symmetric', 'torch.per_channel_affine_float_qparams',
]);
// torch's dtype names beyond the ones tlearn handles: allowed as values, unsupported as storage types.
const OTHER_DTYPES = ['complex32', 'complex64', 'complex128', 'uint16', 'uint32', 'uint64', 'float8_e4m3fn',
  'float8_e5m2', 'float8_e4m3fnuz', 'float8_e5m2fnuz', 'qint8', 'quint8', 'qint32', 'quint4x2', 'quint2x4',
  'cfloat', 'cdouble', 'chalf', 'float', 'double', 'half', 'long', 'int', 'short'];
const OTHER_STORAGES = ['ComplexFloatStorage', 'ComplexDoubleStorage', 'QInt8Storage', 'QUInt8Storage',
  'QInt32Storage', 'QUInt4x2Storage', 'QUInt2x4Storage', 'UntypedStorage', 'TypedStorage'];
const TENSOR_CLASSES = ['FloatTensor', 'DoubleTensor', 'HalfTensor', 'BFloat16Tensor', 'LongTensor', 'IntTensor',
  'ShortTensor', 'CharTensor', 'ByteTensor', 'BoolTensor', 'ComplexFloatTensor', 'ComplexDoubleTensor'];

// Python 2 names that protocol-2 pickles written by Python 3 use (pickle's fix_imports mapping).
const MODULE_ALIASES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

function isStorageClass(module: string, name: string): boolean {
  if (!name.endsWith('Storage')) return false;
  if (module === 'torch' || module === 'torch.cuda') return dtypeFromStorageClass(name) !== undefined || OTHER_STORAGES.includes(name);
  return module === 'torch.storage' && (name === 'UntypedStorage' || name === 'TypedStorage');
}

/** The dtype a pickled storage class stands for, or throws naming it if tlearn cannot represent it. */
export function storageClassDType(g: unknown, where: string): DTypeName {
  if (!(g instanceof PyGlobal) || !isStorageClass(g.module, g.name)) {
    throw new Error(`${where}: expected a torch storage class, got ${describe(g)}`);
  }
  if (g.name === 'UntypedStorage') return 'uint8'; // bytes; _rebuild_tensor_v3 supplies the real dtype
  const d = dtypeFromStorageClass(g.name);
  if (!d) throw new Error(`${where}: storage type ${g.path} is not supported (supported: ${DTYPE_NAMES.join(', ')})`);
  return d;
}

/** Resolves a GLOBAL opcode: the allowlisted global, or an Error naming the refused one. */
export function resolveGlobal(module0: string, name: string): PyGlobal {
  const module = MODULE_ALIASES[module0] ?? module0;
  const path = `${module}.${name}`;
  const ok = PLAIN.has(path) || REBUILD_SUPPORTED.has(path) || REBUILD_UNSUPPORTED.has(path)
    || isStorageClass(module, name)
    || (module === 'torch' && (dtypeFromTorchName(name) !== undefined || OTHER_DTYPES.includes(name)))
    || ((module === 'torch' || module === 'torch.cuda') && TENSOR_CLASSES.includes(name))
    || path === 'torch.UntypedStorage';
  if (!ok) {
    throw new Error(`refusing global '${path}': only the globals that torch.load(weights_only=True) allows are accepted ` +
      '(tensors, storages, dtypes, OrderedDict); this file may try to run code on load');
  }
  return new PyGlobal(module, name);
}

export function describe(x: unknown): string {
  if (x === null) return 'None';
  if (x instanceof PyGlobal) return `global ${x.path}`;
  if (x instanceof PyDict) return x.kind;
  if (x instanceof PyTensor) return 'a tensor';
  if (x instanceof PyStorage) return 'a storage';
  if (x instanceof Uint8Array) return 'bytes';
  if (isTuple(x)) return 'a tuple';
  if (Array.isArray(x)) return 'a list';
  return typeof x;
}

function intArg(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x)) throw new Error(`${what} must be an integer, got ${describe(x)}`);
  return x;
}
function intTuple(x: unknown, what: string): number[] {
  if (!Array.isArray(x)) throw new Error(`${what} must be a tuple of integers, got ${describe(x)}`);
  return x.map((v, i) => intArg(v, `${what}[${i}]`));
}
function argCount(path: string, args: readonly unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    throw new Error(`${path} called with ${args.length} arguments, expected ${min === max ? min : `${min} to ${max}`}`);
  }
}

function rebuildTensor(path: string, args: readonly unknown[], dtypeOverride?: unknown): PyTensor {
  const [storage, offset, size, stride, requiresGrad] = args;
  if (!(storage instanceof PyStorage)) throw new Error(`${path}: first argument must be a storage, got ${describe(storage)}`);
  const shape = intTuple(size, `${path} size`);
  const strides = intTuple(stride, `${path} stride`);
  if (shape.length !== strides.length) throw new Error(`${path}: size has ${shape.length} dims but stride has ${strides.length}`);
  let dtype = storage.dtype;
  if (dtypeOverride !== undefined) {
    if (!(dtypeOverride instanceof PyGlobal) || dtypeOverride.module !== 'torch') throw new Error(`${path}: bad dtype ${describe(dtypeOverride)}`);
    const d = dtypeFromTorchName(dtypeOverride.name);
    if (!d) throw new Error(`${path}: dtype torch.${dtypeOverride.name} is not supported`);
    if (d !== storage.dtype && storage.dtype !== 'uint8') throw new Error(`${path}: dtype ${d} does not match the ${storage.dtype} storage`);
    dtype = d;
  }
  if (dtype !== storage.dtype && storage.numel % dtypeSize(dtype) !== 0) {
    throw new Error(`${path}: untyped storage of ${storage.numel} bytes is not a whole number of ${dtype} elements`);
  }
  return new PyTensor(storage, dtype, intArg(offset, `${path} storage_offset`), shape, strides, requiresGrad === true, false);
}

/** REDUCE: "calls" an allowlisted global with its argument tuple, as pure data construction. */
export function callGlobal(g: PyGlobal, args: readonly unknown[]): unknown {
  const p = g.path;
  switch (p) {
    case 'collections.OrderedDict':
    case 'collections.Counter': {
      const d = new PyDict(p === 'collections.Counter' ? 'Counter' : 'OrderedDict');
      argCount(p, args, 0, 1);
      if (args.length === 1) {
        const src = args[0];
        if (src instanceof PyDict) for (const [k, v] of src) d.set(k, v);
        else if (Array.isArray(src)) {
          for (const pair of src) {
            if (!Array.isArray(pair) || pair.length !== 2) throw new Error(`${p}: items must be (key, value) pairs`);
            d.set(pair[0], pair[1]);
          }
        } else throw new Error(`${p}: cannot build from ${describe(src)}`);
      }
      return d;
    }
    case 'torch._utils._rebuild_tensor':
      argCount(p, args, 4);
      return rebuildTensor(p, [...args, false]);
    case 'torch._utils._rebuild_tensor_v2':
      argCount(p, args, 6, 7);
      return rebuildTensor(p, args);
    case 'torch._utils._rebuild_tensor_v3':
      argCount(p, args, 7, 8);
      return rebuildTensor(p, args, args[6]);
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state': {
      argCount(p, args, p.endsWith('state') ? 4 : 3);
      if (!(args[0] instanceof PyTensor)) throw new Error(`${p}: data must be a tensor, got ${describe(args[0])}`);
      return args[0].asParameter(args[1] === true);
    }
    case 'torch._tensor._rebuild_from_type_v2': {
      // (func, new_type, args, state): rebuild with func, then (in torch) cast to new_type.
      argCount(p, args, 4);
      const [fn, newType, fnArgs] = args;
      if (!(fn instanceof PyGlobal)) throw new Error(`${p}: func must be a global`);
      if (!(newType instanceof PyGlobal) || !['torch.Tensor', 'torch.nn.parameter.Parameter'].includes(newType.path)) {
        throw new Error(`${p}: tensor subclass ${describe(newType)} is not supported`);
      }
      if (!isTuple(fnArgs)) throw new Error(`${p}: args must be a tuple`);
      return callGlobal(fn, fnArgs);
    }
    case 'torch.Size':
      argCount(p, args, 0, 1);
      return Object.freeze(args.length ? intTuple(args[0], 'torch.Size') : []);
    case 'torch.device': {
      argCount(p, args, 1, 2);
      if (typeof args[0] !== 'string') throw new Error('torch.device: type must be a string');
      return args.length === 2 && args[1] !== null ? `${args[0]}:${intArg(args[1], 'device index')}` : args[0];
    }
    case 'torch.serialization._get_layout':
      argCount(p, args, 1);
      if (typeof args[0] !== 'string') throw new Error('_get_layout: name must be a string');
      return args[0];
    case '_codecs.encode': {
      // How protocol 2 spells a bytes object: encode(latin-1 text, 'latin1').
      argCount(p, args, 1, 2);
      const [text, enc = 'latin1'] = args;
      if (typeof text !== 'string' || typeof enc !== 'string') throw new Error('_codecs.encode: arguments must be strings');
      const e = enc.toLowerCase().replace(/[-_]/g, '');
      if (e === 'latin1' || e === 'iso88591') return new Uint8Array(Buffer.from(text, 'latin1'));
      if (e === 'utf8') return new Uint8Array(Buffer.from(text, 'utf8'));
      throw new Error(`_codecs.encode: unsupported encoding ${JSON.stringify(enc)}`);
    }
    case 'builtins.bytearray':
      // Protocol 2 writes bytearray(latin-1 text, 'latin-1').
      argCount(p, args, 0, 2);
      if (args.length === 0) return new Uint8Array(0);
      if (args[0] instanceof Uint8Array) return args[0].slice();
      if (typeof args[0] === 'string') return callGlobal(new PyGlobal('_codecs', 'encode'), args);
      throw new Error(`bytearray: cannot build from ${describe(args[0])}`);
    case 'builtins.set':
      argCount(p, args, 0, 1);
      if (args.length && !Array.isArray(args[0])) throw new Error(`set: cannot build from ${describe(args[0])}`);
      return new Set(args.length ? (args[0] as unknown[]) : []);
    default:
      if (REBUILD_UNSUPPORTED.has(p)) {
        throw new Error(`${p}: sparse, quantized, meta and device-specific tensors are not supported by tlearn`);
      }
      throw new Error(`calling ${p} is not supported`);
  }
}

/** NEWOBJ (cls.__new__(cls, *args)): torch allows it for nn.Parameter only. */
export function newObject(cls: unknown, args: readonly unknown[]): unknown {
  if (cls instanceof PyGlobal && cls.path === 'torch.nn.parameter.Parameter') {
    if (args.length === 0) throw new Error('Parameter() without data is not supported');
    if (!(args[0] instanceof PyTensor)) throw new Error(`Parameter: data must be a tensor, got ${describe(args[0])}`);
    return args[0].asParameter(args.length > 1 ? args[1] === true : true);
  }
  throw new Error(`refusing to instantiate ${describe(cls)}: only torch.nn.Parameter may be created with NEWOBJ`);
}
