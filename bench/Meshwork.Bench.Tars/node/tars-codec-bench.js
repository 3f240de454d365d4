#!/usr/bin/env node
// The Node side of the TARS codec benchmark: the same MeshBench.User struct as bench/Meshwork.Bench.Tars/BenchUser.cs,
// encoded and decoded with @tars/stream (the copy installed for the interop tests in tests/Meshwork.Tars.Tests/node).
// Measures like the C# side: batches of 1000 operations, timed rounds, median ops/s. Allocation per operation is the
// V8 heap growth over one batch, with a forced GC before the batch and a young generation large enough that no
// scavenge runs inside it (start with --expose-gc --max-semi-space-size=128).
//   node --expose-gc --max-semi-space-size=128 tars-codec-bench.js [--seconds 2] [--rounds 5]
'use strict';
const path = require('path');
const TarsStream = require(path.join(__dirname, '..', '..', '..', 'tests', 'Meshwork.Tars.Tests', 'node', 'node_modules', '@tars', 'stream'));

function arg(name, fallback) { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : fallback; }
const seconds = arg('--seconds', 2), rounds = arg('--rounds', 5);

// List(...) and Map(...) return empty instances, which also serve as the type descriptors readList/readMap take.
const Roles = () => TarsStream.List(TarsStream.String);
const Attrs = () => TarsStream.Map(TarsStream.String, TarsStream.String);
const RolesType = Roles(), AttrsType = Attrs();

function User() {
  this.id = 0; this.name = ''; this.email = ''; this.age = 0; this.score = 0;
  this.roles = Roles(); this.attrs = Attrs(); this.avatar = new TarsStream.BinBuffer(); this.active = false;
}
User._classname = 'MeshBench.User';
User._readFrom = function (is) {
  const u = new User();
  u.id = is.readInt64(0, true, 0);
  u.name = is.readString(1, true, '');
  u.email = is.readString(2, false, '');
  u.age = is.readInt32(3, false, 0);
  u.score = is.readDouble(4, false, 0);
  u.roles = is.readList(5, false, RolesType);
  u.attrs = is.readMap(6, false, AttrsType);
  u.avatar = is.readBytes(7, false, TarsStream.BinBuffer);
  u.active = is.readBoolean(8, false, false);
  return u;
};
User.prototype._writeTo = function (os) {
  os.writeInt64(0, this.id);
  os.writeString(1, this.name);
  os.writeString(2, this.email);
  os.writeInt32(3, this.age);
  os.writeDouble(4, this.score);
  os.writeList(5, this.roles);
  os.writeMap(6, this.attrs);
  os.writeBytes(7, this.avatar);
  os.writeBoolean(8, this.active);
};

function sample() {
  const u = new User();
  u.id = 9007199254740000; u.name = 'Zhang Wei 张伟'; u.email = 'zhang.wei@example.com'; u.age = 34; u.score = 98.625;
  for (const r of ['admin', 'editor', 'viewer']) u.roles.push(r);
  u.attrs.insert('region', 'ap-shanghai'); u.attrs.insert('tier', 'gold'); u.attrs.insert('lang', 'zh-CN');
  const bytes = Buffer.alloc(64); for (let i = 0; i < 64; i++) bytes[i] = (i * 7) & 0xff;
  u.avatar = new TarsStream.BinBuffer(bytes);
  u.active = true;
  return u;
}

function measure(op) {
  const batch = 1000;
  let sink = 0;
  const warmEnd = process.hrtime.bigint() + BigInt(Math.round(Math.min(seconds, 1) * 1e9));
  while (process.hrtime.bigint() < warmEnd) for (let i = 0; i < batch; i++) sink += op();
  const rates = [];
  for (let r = 0; r < rounds; r++) {
    let ops = 0;
    const start = process.hrtime.bigint(), end = start + BigInt(Math.round(seconds * 1e9));
    let now = start;
    while (now < end) { for (let i = 0; i < batch; i++) sink += op(); ops += batch; now = process.hrtime.bigint(); }
    rates.push(ops / (Number(now - start) / 1e9));
  }
  rates.sort((a, b) => a - b);
  // Allocation: heap growth over single batches after a full GC (median of 5).
  const growth = [];
  for (let k = 0; k < 5; k++) {
    if (global.gc) global.gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < batch; i++) sink += op();
    growth.push((process.memoryUsage().heapUsed - before) / batch);
  }
  growth.sort((a, b) => a - b);
  if (sink === 42) console.error('');
  return { ops: rates[Math.floor(rates.length / 2)], bytes: global.gc ? growth[2] : NaN };
}

const user = sample();
const encode = measure(() => { const os = new TarsStream.TarsOutputStream(); os.writeStruct(0, user); return os.getBinBuffer().length; });
const os = new TarsStream.TarsOutputStream(); os.writeStruct(0, user);
const encoded = os.getBinBuffer().toNodeBuffer();
const decode = measure(() => new TarsStream.TarsInputStream(new TarsStream.BinBuffer(encoded)).readStruct(0, true, User).age);
console.log(`codec node encode ${encode.ops.toFixed(0)} ops/s ${encode.bytes.toFixed(1)} B/op`);
console.log(`codec node decode ${decode.ops.toFixed(0)} ops/s ${decode.bytes.toFixed(1)} B/op`);
console.log(`codec node bytes ${encoded.length} ${encoded.toString('hex')}`);
