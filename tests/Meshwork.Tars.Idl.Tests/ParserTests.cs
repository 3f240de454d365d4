using Meshwork.Tars.Idl.Syntax;

namespace Meshwork.Tars.Idl.Tests;

public sealed class ParserTests
{
    private const string UserTars = """
        // user.tars: the UserService of the brief
        module UserService {
        /* user record */
        struct UserInfo {
        0 optional int userId;
        1 optional string userName;
        2 optional string email;
        3 optional int age;
        4 optional string createTime;
        5 optional vector<string> tags;
        6 optional map<string, string> metadata;
        };
        struct UserQuery {
        0 optional int userId;
        1 optional string userName;
        2 optional string email;
        3 optional int page = 1;
        4 optional int pageSize = 10;
        };
        struct UserPage {
        0 optional vector<UserInfo> users;
        1 optional int total;
        2 optional int page;
        3 optional int pageSize;
        };
        interface UserService {
        int createUser(UserInfo userInfo, out UserInfo result);
        UserInfo getUser(int userId);
        int updateUser(UserInfo userInfo, out UserInfo result);
        int deleteUser(int userId);
        UserPage queryUsers(UserQuery query);
        vector<UserInfo> batchGetUsers(vector<int> userIds);
        };
        };
        """;

    [Fact]
    public void User_service_contract_compiles_with_structs_and_operations()
    {
        var compilation = Idl.Compile(UserTars);
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var module = Assert.Single(Assert.Single(compilation.Files).Modules);
        Assert.Equal("UserService", module.Name);
        var info = Assert.IsType<StructNode>(module.Definitions[0]);
        Assert.Equal(7, info.Fields.Count);
        Assert.Equal(TypeKind.Map, info.Fields[6].Type.Kind);
        Assert.Equal(TypeKind.String, info.Fields[6].Type.Key!.Kind);
        var query = Assert.IsType<StructNode>(module.Definitions[1]);
        Assert.Equal("10", query.Fields[4].Default!.Text);
        var page = Assert.IsType<StructNode>(module.Definitions[2]);
        Assert.Same(info, page.Fields[0].Type.Element!.Resolved);
        var service = Assert.IsType<InterfaceNode>(module.Definitions[3]);
        Assert.Equal(["createUser", "getUser", "updateUser", "deleteUser", "queryUsers", "batchGetUsers"], service.Operations.Select(o => o.Name));
        var create = service.Operations[0];
        Assert.False(create.Parameters[0].IsOut);
        Assert.True(create.Parameters[1].IsOut);
        Assert.Equal([1, 2], create.Parameters.Select(p => p.Tag));
        Assert.Equal(TypeKind.Vector, service.Operations[5].ReturnType!.Kind);
    }

    [Fact]
    public void Every_builtin_type_and_unsigned_types_parse()
    {
        var compilation = Idl.Compile("""
            module M {
                struct All {
                    0 require bool b = true;
                    1 optional byte i8 = -128;
                    2 optional unsigned byte u8 = 255;
                    3 optional short i16 = -32768;
                    4 optional unsigned short u16 = 65535;
                    5 optional int i32 = 0x7fffffff;
                    6 optional unsigned int u32 = 4294967295;
                    7 optional long i64 = -9223372036854775808;
                    8 optional float f = 1.5f;
                    9 optional double d = -2.5e10;
                    10 optional string s = "a\"b\n";
                    11 optional vector<byte> raw;
                    12 optional map<int, vector<map<string, long>>> nested;
                    255 optional long last = 017;
                };
            };
            """);
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var all = (StructNode)compilation.Files[0].Modules[0].Definitions[0];
        Assert.Equal(
            [TypeKind.Bool, TypeKind.Byte, TypeKind.UnsignedByte, TypeKind.Short, TypeKind.UnsignedShort, TypeKind.Int, TypeKind.UnsignedInt,
             TypeKind.Long, TypeKind.Float, TypeKind.Double, TypeKind.String, TypeKind.Vector, TypeKind.Map, TypeKind.Long],
            all.Fields.Select(f => f.Type.Kind));
        Assert.True(all.Fields[0].IsRequired);
        Assert.Equal("a\"b\n", all.Fields[10].Default!.Text);
        Assert.True(all.Fields[11].Type.IsByteVector);
        Assert.Equal("map<int, vector<map<string, long>>>", all.Fields[12].Type.ToString());
        Assert.Equal(255, all.Fields[13].Tag);
    }

    [Fact]
    public void Enums_follow_C_numbering_and_may_refer_to_earlier_enumerators()
    {
        var compilation = Idl.Compile("""
            module M {
                enum Color { RED, GREEN = 5, BLUE, ALIAS = RED, NEG = -3, };
                struct Paint { 0 optional Color c = BLUE; 1 optional Color d = M::GREEN; 2 optional Color e = 7; };
            };
            """);
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var color = (EnumNode)compilation.Files[0].Modules[0].Definitions[0];
        Assert.Equal([0L, 5, 6, 0, -3], color.Members.Select(m => m.Value));
        var paint = (StructNode)compilation.Files[0].Modules[0].Definitions[1];
        Assert.Equal("BLUE", paint.Fields[0].Default!.Enumerator!.Name);
        Assert.Equal("GREEN", paint.Fields[1].Default!.Enumerator!.Name);
    }

    [Fact]
    public void Nested_modules_consts_keys_routekey_and_qualified_names_resolve()
    {
        var compilation = Idl.Compile("""
            module Outer {
                const int MAX = 100;
                const string NAME = "outer";
                const bool ON = true;
                const double RATE = 0.25;
                struct Id { 0 require long value; 1 optional string zone; };
                key[Id, value, zone];
                module Inner {
                    struct Holder { 0 require Id id; 1 optional Outer::Id other; 2 optional map<Id, string> names; };
                    interface Api { void put(routekey string shard, Holder h, out int version); };
                };
            };
            """);
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var outer = compilation.Files[0].Modules[0];
        var id = (StructNode)outer.Definitions[4];
        Assert.Equal(["value", "zone"], id.KeyFields!.Select(f => f.Name));
        var inner = Assert.Single(outer.Modules);
        Assert.Equal("Outer::Inner", inner.FullName);
        var holder = (StructNode)inner.Definitions[0];
        Assert.Same(id, holder.Fields[0].Type.Resolved);
        Assert.Same(id, holder.Fields[1].Type.Resolved);
        var put = ((InterfaceNode)inner.Definitions[1]).Operations[0];
        Assert.Null(put.ReturnType);
        Assert.True(put.Parameters[0].IsRouteKey);
        Assert.True(put.Parameters[2].IsOut);
    }

    [Fact]
    public void Includes_bring_in_types_from_other_files_once()
    {
        var compilation = Idl.CompileFiles(
        [
            ("main.tars", "#include \"common.tars\"\n#include \"more.tars\"\nmodule App { struct Req { 0 require Common::Page page; 1 optional More::Extra extra; }; };"),
            ("common.tars", "module Common { struct Page { 0 require int index; }; };"),
            ("more.tars", "#include \"common.tars\"\nmodule More { struct Extra { 0 optional Common::Page page; }; };"),
        ]);
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        Assert.Equal(["common.tars", "more.tars", "main.tars"], compilation.FilePaths);
    }

    [Fact]
    public void Reserved_tars_names_are_allowed_when_asked()
    {
        const string text = "module tars { struct EndpointF { 0 require string host; }; };";
        Assert.Equal(TarsIdlErrorCode.InvalidName, Idl.SingleError(text).Code);
        Assert.False(Idl.Compile(text, new TarsIdlOptions { AllowReservedNames = true }).HasErrors);
    }
}
