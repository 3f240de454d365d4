#!/usr/bin/env node
// user-client.js - a Node TARS client (@tars/rpc + @tars/stream, no tars2node) for the UserService of
// samples/Meshwork.Samples.TarsUserService/user.tars. It runs one scenario that calls every function and prints one
// JSON line with what came back, for UserServiceNodeClientTests.
//
//   node user-client.js --endpoint "UserService.UserServer.UserServiceObj@tcp -h 127.0.0.1 -p <port> -t 60000" [--tup 2|3]
//
// The @tars packages are the ones Meshwork.Tars.Tests pins (tests/Meshwork.Tars.Tests/node, npm ci from test.sh).
'use strict';

const path = require('path');
const modules = path.join(__dirname, '..', '..', 'Meshwork.Tars.Tests', 'node', 'node_modules');
const TarsStream = require(path.join(modules, '@tars', 'stream'));
const Tars = require(path.join(modules, '@tars', 'rpc'));

const opt = {};
for (let i = 2; i < process.argv.length; i += 2) opt[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];

const StringList = () => TarsStream.List(TarsStream.String);
const StringMap = () => TarsStream.Map(TarsStream.String, TarsStream.String);

// A struct type for @tars/stream: constructor with defaults, field codec, and the hooks lists and maps use.
function defineStruct(className, fields) {
  function T() {
    for (const f of fields) this[f.name] = f.init();
    this._classname = className;
  }
  T._classname = className;
  T._write = (os, tag, v) => os.writeStruct(tag, v);
  T._read = (is, tag, def) => is.readStruct(tag, true, def);
  T.new = () => new T();
  T._readFrom = (is) => {
    const v = new T();
    for (const f of fields) v[f.name] = f.read(is, f.tag);
    return v;
  };
  T.prototype._writeTo = function (os) { for (const f of fields) f.write(os, f.tag, this[f.name]); };
  T.fromJson = (j) => {
    const v = new T();
    for (const f of fields) if (j[f.name] !== undefined) v[f.name] = f.fromJson(j[f.name]);
    return v;
  };
  T.toJson = (v) => Object.fromEntries(fields.map((f) => [f.name, f.toJson(v[f.name])]));
  return T;
}
const int32 = (tag, name) => ({ tag, name, init: () => 0, read: (is, t) => is.readInt32(t, false, 0), write: (os, t, v) => os.writeInt32(t, v), fromJson: (j) => j, toJson: (v) => v });
const str = (tag, name) => ({ tag, name, init: () => '', read: (is, t) => is.readString(t, false, ''), write: (os, t, v) => os.writeString(t, v), fromJson: (j) => j, toJson: (v) => v });
const strings = (tag, name) => ({
  tag, name, init: StringList, read: (is, t) => is.readList(t, false, StringList()), write: (os, t, v) => os.writeList(t, v),
  fromJson: (j) => { const l = StringList(); j.forEach((x) => l.push(x)); return l; }, toJson: (v) => v.toObject(),
});
const stringMap = (tag, name) => ({
  tag, name, init: StringMap, read: (is, t) => is.readMap(t, false, StringMap()), write: (os, t, v) => os.writeMap(t, v),
  fromJson: (j) => { const m = StringMap(); Object.keys(j).forEach((k) => m.insert(k, j[k])); return m; }, toJson: (v) => v.toObject(),
});

const UserInfo = defineStruct('UserService.UserInfo', [int32(0, 'userId'), str(1, 'userName'), str(2, 'email'), int32(3, 'age'),
  str(4, 'createTime'), strings(5, 'tags'), stringMap(6, 'metadata')]);
const UserQuery = defineStruct('UserService.UserQuery', [int32(0, 'userId'), str(1, 'userName'), str(2, 'email'), int32(3, 'page'), int32(4, 'pageSize')]);
const userList = (tag, name) => ({
  tag, name, init: () => TarsStream.List(UserInfo), read: (is, t) => is.readList(t, false, TarsStream.List(UserInfo)), write: (os, t, v) => os.writeList(t, v),
  fromJson: (j) => j, toJson: (v) => v.value.map(UserInfo.toJson),
});
const UserPage = defineStruct('UserService.UserPage', [userList(0, 'users'), int32(1, 'total'), int32(2, 'page'), int32(3, 'pageSize')]);

// ---------------------------------------------------------------- calls: each parameter is [tag, name, kind, value]
function Proxy() { this._name = undefined; this._worker = undefined; }
const comm = Tars.client;
const prx = comm.stringToProxy(Proxy, opt.endpoint);
prx._worker.timeout = 10000;
const tup = opt.tup ? Number(opt.tup) : 0;

function invoke(func, ins, ret, outs) {
  // ret / outs: [kind, TYPE] where kind is Int32 | Struct | List and TYPE the struct or list type.
  if (tup) {
    const attr = new TarsStream.UniAttribute();
    attr.tupVersion = tup;
    for (const [, name, kind, value] of ins) attr['write' + kind](name, value);
    prx._worker.version = tup;
    return prx._worker.tup_invoke(func, attr, {}).then((data) => {
      const t = data.response.tup;
      const read = (name, [kind, type]) => (kind === 'Int32' ? t.readInt32(name) : t['read' + kind](name, type));
      return { ret: read('', ret), out: Object.fromEntries((outs || []).map(([, name, spec]) => [name, read(name, spec)])) };
    });
  }
  const os = new TarsStream.TarsOutputStream();
  for (const [tag, , kind, value] of ins) os['write' + kind](tag, value);
  return prx._worker.tars_invoke(func, os.getBinBuffer(), {}).then((data) => {
    const is = new TarsStream.TarsInputStream(data.response.sBuffer);
    const read = (tag, [kind, type]) => (kind === 'Int32' ? is.readInt32(tag, true, 0) : is['read' + kind](tag, true, type));
    return { ret: read(0, ret), out: Object.fromEntries((outs || []).map(([tag, name, spec]) => [name, read(tag, spec)])) };
  });
}
const failure = (err) => { const e = (err && err.error) || {}; return { code: e.code, message: e.message }; };

const createUser = (u) => invoke('createUser', [[1, 'userInfo', 'Struct', UserInfo.fromJson(u)]], ['Int32'], [[2, 'result', ['Struct', UserInfo]]])
  .then((r) => ({ ret: r.ret, result: UserInfo.toJson(r.out.result) }));
const getUser = (id) => invoke('getUser', [[1, 'userId', 'Int32', id]], ['Struct', UserInfo]).then((r) => UserInfo.toJson(r.ret), failure);
const updateUser = (u) => invoke('updateUser', [[1, 'userInfo', 'Struct', UserInfo.fromJson(u)]], ['Int32'], [[2, 'result', ['Struct', UserInfo]]])
  .then((r) => ({ ret: r.ret, result: UserInfo.toJson(r.out.result) }));
const deleteUser = (id) => invoke('deleteUser', [[1, 'userId', 'Int32', id]], ['Int32']).then((r) => r.ret);
const queryUsers = (q) => invoke('queryUsers', [[1, 'query', 'Struct', UserQuery.fromJson(q)]], ['Struct', UserPage]).then((r) => UserPage.toJson(r.ret));
const batchGetUsers = (ids) => {
  const list = TarsStream.List(TarsStream.Int32);
  ids.forEach((id) => list.push(id));
  return invoke('batchGetUsers', [[1, 'userIds', 'List', list]], ['List', TarsStream.List(UserInfo)]).then((r) => r.ret.value.map(UserInfo.toJson));
};

(async () => {
  const s = {};
  s.created = await createUser({ userName: '王小明', email: 'xm@example.org', age: 30, tags: ['a', 'b'], metadata: { team: '核心', big: 'm'.repeat(100000) } });
  s.created.result.metadata = { bigLength: s.created.result.metadata.big.length };
  s.invalid = await createUser({ userName: 'no e-mail' });
  const got = await getUser(s.created.result.userId);
  s.got = { ...got, metadata: { team: got.metadata.team, bigLength: got.metadata.big.length } };
  s.updated = await updateUser({ userId: s.created.result.userId, age: 31 });
  delete s.updated.result.metadata.big;
  for (let i = 2; i <= 12; i++) await createUser({ userName: 'user' + i, email: 'u' + i + '@example.org' });
  s.page = await queryUsers({ email: 'example.org', page: 2, pageSize: 5 });
  s.batch = (await batchGetUsers([2, 99, 3])).map((u) => u.userId);
  s.deleted = await deleteUser(s.created.result.userId);
  s.deletedAgain = await deleteUser(s.created.result.userId);
  s.missing = await getUser(s.created.result.userId);
  return s;
})().then(
  (steps) => finish({ ok: true, steps }, 0),
  (err) => finish({ ok: false, error: failure(err), text: String(err && (err.stack || err)) }, 1));

// Exit only once the line is written: a pipe takes the data asynchronously.
function finish(result, code) {
  comm.destroy();
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(code));
}
