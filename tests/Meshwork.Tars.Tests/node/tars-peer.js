#!/usr/bin/env node
// tars-peer.js - a tiny TARS peer (server + client) built on @tars/rpc and @tars/stream,
// used as the "real implementation" in interop tests. No registry is involved.
//
// IDL served / called (hand-written codec, no tars2node needed):
//
//   module MeshTest {
//     struct Pair {
//       0 require  int                 a;
//       1 optional string              s;
//       2 optional long                big;
//       3 optional vector<byte>        raw;
//       4 optional map<string, string> tags;
//     };
//     interface Echo {
//       string echo(string msg);                 // returns msg
//       int    add(int a, int b, out int sum);   // returns 0, sum = a + b
//       Pair   mirror(Pair p);                   // returns p with a + 1, raw reversed
//       void   fail(int code);                   // server answers iRet = code (framework error path)
//       vector<int>      range(int n);                          // [0, 1, ..., n-1]
//       vector<Pair>     pairs(int n);                          // n Pairs: a = i, s = "p" + i
//       map<string, int> count(vector<string> words);           // occurrences of each word
//       int              split(string text, out vector<string> parts);  // returns the count, parts split at spaces
//     };
//   };
//
//   node tars-peer.js server [--host 127.0.0.1] [--port 0] [--proto tcp|udp] [--servant MeshTest.EchoServer.EchoObj]
//                            [--dump] [--exit-on-stdin-eof]
//       prints "READY tcp -h <host> -p <port>" (or udp) on stdout once listening; SIGTERM/SIGINT stop it.
//   node tars-peer.js call --endpoint "<Obj>@tcp -h 127.0.0.1 -p <port> -t 60000" --func <name>
//                          [--args '<json array>'] [--oneway] [--tup 2|3] [--timeout ms] [--repeat N] [--dump]
//                          [--locator "<registry QueryObj>@tcp -h ... -p ..."]   (then --endpoint is just the object name)
//       prints one JSON line: {"ok":true,"ret":...,"out":{...}} or {"ok":false,"code":...,"message":...}
//       (vectors and maps travel as @tars/stream List/Map, so TUP v2 files them under its type names, e.g. List<int32>)
//   --dump logs every raw TCP chunk (with its 4-byte length prefix) as hex on stderr.
'use strict';

const TarsStream = require('@tars/stream');
const Tars = require('@tars/rpc');

// ---------------------------------------------------------------- args
function parseArgs(argv) {
  const o = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const k = a.slice(2);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) o[k] = true; else { o[k] = next; i++; }
    } else o._.push(a);
  }
  return o;
}
const opt = parseArgs(process.argv.slice(2));
const mode = opt._[0];

// ---------------------------------------------------------------- raw byte dump hooks
function hex(buf) { return Buffer.from(buf).toString('hex'); }
if (opt.dump) {
  const S = Tars.rpcTars.server.prototype, C = Tars.rpcTars.client.prototype;
  const sFeed = S.feed, sCompose = S.compose, cFeed = C.feed, cCompose = C.compose;
  S.feed = function (d) { console.error('SERVER <- ' + hex(d)); return sFeed.call(this, d); };
  S.compose = function (m) { const b = sCompose.call(this, m); console.error('SERVER -> ' + hex(b)); return b; };
  C.feed = function (d) { console.error('CLIENT <- ' + hex(d)); return cFeed.call(this, d); };
  C.compose = function (m) { const b = cCompose.call(this, m); console.error('CLIENT -> ' + hex(b)); return b; };
}

// ---------------------------------------------------------------- struct MeshTest.Pair
function Pair() {
  this.a = 0; this.s = ''; this.big = 0;
  this.raw = new TarsStream.BinBuffer();
  this.tags = new TarsStream.Map(TarsStream.String, TarsStream.String);
  this._classname = 'MeshTest.Pair';
}
Pair._classname = 'MeshTest.Pair';
Pair._write = function (os, tag, v) { os.writeStruct(tag, v); };
Pair._read = function (is, tag, def) { return is.readStruct(tag, true, def); };
Pair.new = function () { return new Pair(); };
Pair._readFrom = function (is) {
  const p = new Pair();
  p.a = is.readInt32(0, true, 0);
  p.s = is.readString(1, false, '');
  p.big = is.readInt64(2, false, 0);
  p.raw = is.readBytes(3, false, TarsStream.BinBuffer);
  p.tags = is.readMap(4, false, TarsStream.Map(TarsStream.String, TarsStream.String));
  return p;
};
Pair.prototype._writeTo = function (os) {
  os.writeInt32(0, this.a);
  os.writeString(1, this.s);
  os.writeInt64(2, this.big);
  os.writeBytes(3, this.raw);
  os.writeMap(4, this.tags);
};
Pair.prototype._genKey = function () { return this._k || (this._k = 'Pair' + Math.random()); };
Pair.fromJson = function (j) {
  const p = new Pair();
  p.a = j.a | 0; p.s = j.s || ''; p.big = j.big || 0;
  p.raw = new TarsStream.BinBuffer(Buffer.from(j.raw || '', 'hex'));
  for (const k of Object.keys(j.tags || {})) p.tags.insert(k, String(j.tags[k]));
  return p;
};
Pair.toJson = function (p) {
  return { a: p.a, s: p.s, big: p.big, raw: hex(p.raw.toNodeBuffer()), tags: p.tags.toObject() };
};

// ---------------------------------------------------------------- vectors and maps
// How a vector or map kind is built from JSON, which @tars/stream type reads it, and how it becomes JSON again.
function filled(container, json, item) { for (const x of json) container.push(item ? item(x) : x); return container; }
const KINDS = {
  ListInt32: { type: () => TarsStream.List(TarsStream.Int32), rw: 'List', fromJson: (j) => filled(TarsStream.List(TarsStream.Int32), j), toJson: (v) => v.toObject() },
  ListString: { type: () => TarsStream.List(TarsStream.String), rw: 'List', fromJson: (j) => filled(TarsStream.List(TarsStream.String), j), toJson: (v) => v.toObject() },
  ListPair: { type: () => TarsStream.List(Pair), rw: 'List', fromJson: (j) => filled(TarsStream.List(Pair), j, Pair.fromJson), toJson: (v) => v.value.map(Pair.toJson) },
  MapStringInt32: {
    type: () => TarsStream.Map(TarsStream.String, TarsStream.Int32), rw: 'Map', toJson: (v) => v.toObject(),
    fromJson: (j) => { const m = TarsStream.Map(TarsStream.String, TarsStream.Int32); for (const k of Object.keys(j)) m.insert(k, j[k]); return m; },
  },
};

// ---------------------------------------------------------------- server side
function isTup(current) { const v = current.getRequestVersion(); return v === 2 || v === 3; }
function reply(current, ret, retWriter, outs) {
  // ret: value or undefined (void); retWriter: 'Int32' | 'String' | 'Struct'; outs: [[tag, name, writer, value]]
  if (isTup(current)) {
    const tup = new TarsStream.UniAttribute();
    tup.tupVersion = current.getRequestVersion();
    if (ret !== undefined) tup['write' + retWriter]('', ret);
    for (const [, name, w, v] of outs) tup['write' + w](name, v);
    current.doResponse(tup.encode());
  } else {
    const os = new TarsStream.TarsOutputStream();
    if (ret !== undefined) os['write' + retWriter](0, ret);
    for (const [tag, , w, v] of outs) os['write' + w](tag, v);
    current.doResponse(os.getBinBuffer());
  }
}

function EchoImp() {}
EchoImp.prototype.initialize = function () {};
EchoImp.prototype.onDispatch = function (current, func, bin) {
  const tup = isTup(current) ? new TarsStream.UniAttribute() : null;
  if (tup) { tup.tupVersion = current.getRequestVersion(); tup.decode(bin); }
  const is = tup ? null : new TarsStream.TarsInputStream(bin);
  switch (func) {
    case 'tars_ping':                       // heartbeat: tars2node answers "int 0 at tag 0"
      reply(current, 0, 'Int32', []);
      return 0;
    case 'echo': {
      const msg = tup ? tup.readString('msg') : is.readString(1, true, '');
      reply(current, msg, 'String', []);
      return 0;
    }
    case 'add': {
      const a = tup ? tup.readInt32('a') : is.readInt32(1, true, 0);
      const b = tup ? tup.readInt32('b') : is.readInt32(2, true, 0);
      reply(current, 0, 'Int32', [[3, 'sum', 'Int32', a + b]]);
      return 0;
    }
    case 'mirror': {
      const p = tup ? tup.readStruct('p', Pair) : is.readStruct(1, true, Pair);
      p.a += 1;
      p.raw = new TarsStream.BinBuffer(Buffer.from(p.raw.toNodeBuffer()).reverse());
      reply(current, p, 'Struct', []);
      return 0;
    }
    case 'fail': {
      const code = tup ? tup.readInt32('code') : is.readInt32(1, true, 0);
      current.sendErrorResponse(code, 'fail requested');
      return 0;
    }
    case 'range': {
      const n = tup ? tup.readInt32('n') : is.readInt32(1, true, 0);
      reply(current, KINDS.ListInt32.fromJson([...Array(n).keys()]), 'List', []);
      return 0;
    }
    case 'pairs': {
      const n = tup ? tup.readInt32('n') : is.readInt32(1, true, 0);
      reply(current, KINDS.ListPair.fromJson([...Array(n).keys()].map((i) => ({ a: i, s: 'p' + i }))), 'List', []);
      return 0;
    }
    case 'count': {
      const words = tup ? tup.readList('words', KINDS.ListString.type()) : is.readList(1, true, KINDS.ListString.type());
      const counts = {};
      for (const w of words.value) counts[w] = (counts[w] || 0) + 1;
      reply(current, KINDS.MapStringInt32.fromJson(counts), 'Map', []);
      return 0;
    }
    case 'split': {
      const text = tup ? tup.readString('text') : is.readString(1, true, '');
      const parts = text.split(' ').filter((x) => x.length > 0);
      reply(current, parts.length, 'Int32', [[2, 'parts', 'List', KINDS.ListString.fromJson(parts)]]);
      return 0;
    }
  }
  return -3; // TARSSERVERNOFUNCERR: the framework then answers iRet=-3
};

function runServer() {
  const host = opt.host || '127.0.0.1';
  const port = opt.port !== undefined ? Number(opt.port) : 0;
  const servant = opt.servant || 'MeshTest.EchoServer.EchoObj';
  const svr = Tars.server.createServer(EchoImp);
  const proto = opt.proto === 'udp' ? 'udp' : 'tcp';
  svr.start({ endpoint: `${proto} -h ${host} -p ${port} -t 60000`, servant: servant, protocol: 'tars' });
  const listener = svr._server._adapters[0]._netthread._listener;   // net.Server (or dgram.Socket for udp)
  listener.on('listening', () => {
    process.stdout.write(`READY ${proto} -h ${host} -p ${listener.address().port}\n`);
  });
  listener.on('error', (e) => { console.error('LISTEN ERROR ' + e.message); process.exit(2); });
  const stop = () => { try { svr.stop(); } catch (e) { /* ignore */ } process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (opt['exit-on-stdin-eof']) { process.stdin.on('end', stop); process.stdin.resume(); }
}

// ---------------------------------------------------------------- client side
function EchoProxy() { this._name = undefined; this._worker = undefined; }
EchoProxy.prototype.setTimeout = function (ms) { this._worker.timeout = ms; };

function call(prx, func, args, property, tupVersion) {
  const W = (os, tag, kind, v) => os['write' + kind](tag, v);
  const specs = {
    tars_ping: { ins: [], ret: null },
    echo: { ins: [['msg', 'String']], ret: 'String' },
    add: { ins: [['a', 'Int32'], ['b', 'Int32']], outs: [[3, 'sum', 'Int32']], ret: 'Int32' },
    mirror: { ins: [['p', 'Struct']], ret: 'Struct' },
    fail: { ins: [['code', 'Int32']], ret: null },
    range: { ins: [['n', 'Int32']], ret: 'ListInt32' },
    pairs: { ins: [['n', 'Int32']], ret: 'ListPair' },
    count: { ins: [['words', 'ListString']], ret: 'MapStringInt32' },
    split: { ins: [['text', 'String']], outs: [[2, 'parts', 'ListString']], ret: 'Int32' },
  };
  // Reads a value of any kind by TUP name or v1 tag; vectors and maps go through their @tars/stream types.
  const readTup = (t, name, kind) => (kind === 'Struct' ? Pair.toJson(t.readStruct(name, Pair))
    : KINDS[kind] ? KINDS[kind].toJson(t['read' + KINDS[kind].rw](name, KINDS[kind].type())) : t['read' + kind](name));
  const readTars = (is, tag, kind) => (kind === 'Struct' ? Pair.toJson(is.readStruct(tag, true, Pair))
    : KINDS[kind] ? KINDS[kind].toJson(is['read' + KINDS[kind].rw](tag, true, KINDS[kind].type())) : is['read' + kind](tag, true));
  const sp = specs[func] || { ins: args.map((_, i) => ['arg' + (i + 1), typeof args[i] === 'string' ? 'String' : 'Int32']), ret: null };
  const values = sp.ins.map(([, kind], i) => (kind === 'Struct' ? Pair.fromJson(args[i]) : KINDS[kind] ? KINDS[kind].fromJson(args[i]) : args[i]));
  const writerOf = (kind) => (KINDS[kind] ? KINDS[kind].rw : kind);
  if (tupVersion) {
    const tup = new TarsStream.UniAttribute();
    tup.tupVersion = tupVersion;
    sp.ins.forEach(([name, kind], i) => tup['write' + writerOf(kind)](name, values[i]));
    prx._worker.version = tupVersion;
    const p = prx._worker.tup_invoke(func, tup, property);
    return p.then((data) => {
      const t = data.response.tup;
      const res = { ok: true, ret: null, out: {} };
      if (sp.ret) res.ret = readTup(t, '', sp.ret);
      for (const [, name, kind] of (sp.outs || [])) res.out[name] = readTup(t, name, kind);
      return res;
    });
  }
  const os = new TarsStream.TarsOutputStream();
  sp.ins.forEach(([, kind], i) => W(os, i + 1, writerOf(kind), values[i]));
  return prx._worker.tars_invoke(func, os.getBinBuffer(), property).then((data) => {
    const res = { ok: true, ret: null, out: {} };
    const is = new TarsStream.TarsInputStream(data.response.sBuffer);
    if (sp.ret) res.ret = readTars(is, 0, sp.ret);
    for (const [tag, name, kind] of (sp.outs || [])) res.out[name] = readTars(is, tag, kind);
    return res;
  });
}

function runClient() {
  const endpoint = opt.endpoint;
  if (!endpoint) { console.error('--endpoint is required'); process.exit(64); }
  const comm = Tars.client;                         // a Communicator; no config file
  if (opt.locator) comm.setProperty('locator', opt.locator);   // resolve --endpoint (an object name) through a registry
  const prx = comm.stringToProxy(EchoProxy, endpoint);
  prx.setTimeout(opt.timeout ? Number(opt.timeout) : 3000);
  const args = opt.args ? JSON.parse(opt.args) : [];
  const property = {};
  if (opt.oneway) property.packetType = 1;
  const done = (obj, code) => {
    process.stdout.write(JSON.stringify(obj) + '\n');
    comm.destroy();
    setTimeout(() => process.exit(code), 20);
  };
  const repeat = opt.repeat ? Number(opt.repeat) : 1;   // N concurrent calls multiplexed on one connection
  const calls = [];
  for (let i = 0; i < repeat; i++) calls.push(call(prx, opt.func || 'tars_ping', args, property, opt.tup ? Number(opt.tup) : 0));
  Promise.all(calls).then(
    (all) => done(repeat === 1 ? all[0] : { ok: true, count: all.length, first: all[0] }, 0),
    (err) => {
      const e = (err && err.error) || {};   // RpcCallError: {request, response, error:{code, message}}
      if (opt.oneway && e.message === 'one way call do not need response') return done({ ok: true, oneway: true }, 0);
      done({ ok: false, code: e.code, message: e.message }, 1);
    });
}

if (mode === 'server') runServer();
else if (mode === 'call') runClient();
else { console.error('usage: tars-peer.js server|call [options]'); process.exit(64); }
