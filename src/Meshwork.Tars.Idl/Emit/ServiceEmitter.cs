using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Meshwork.Tars.Idl.Syntax;

namespace Meshwork.Tars.Idl.Emit;

/// <summary>
/// Emits, for one IDL interface <c>X</c>: the service interface <c>IX</c> (implemented by servers, and by the proxy),
/// the client proxy <c>XProxy</c> (calls through any Meshwork <c>CallInvoker</c> that speaks TARS) and the server
/// dispatcher <c>XDispatcher</c> (binds an implementation to a <c>TarsServiceDefinition</c>).
/// </summary>
/// <remarks>
/// Out parameters: an operation with out parameters returns a result record nested in the interface,
/// <c>IX.OpResult</c>, holding <c>ReturnValue</c> (unless void) and one property per out parameter. A record (rather than
/// a tuple) keeps the IDL names, carries documentation and can gain members without breaking callers.
/// </remarks>
internal static class ServiceEmitter
{
    private const string ValueTask = "global::System.Threading.Tasks.ValueTask";
    private const string Token = "global::System.Threading.CancellationToken";
    private const string Invoker = "global::Meshwork.Rpc.Client.CallInvoker";
    private const string CallOptions = "global::Meshwork.Rpc.CallOptions";
    private const string Method = "global::Meshwork.Rpc.Method<global::Meshwork.Tars.TarsInvocation, global::Meshwork.Tars.TarsReply>";
    private const string Context = "global::Meshwork.Tars.TarsServerCallContext";
    private const string Definition = "global::Meshwork.Tars.TarsServiceDefinition";
    private const string StringMap = "global::System.Collections.Generic.IReadOnlyDictionary<string, string>";

    public static void Emit(CodeWriter w, InterfaceNode node, TypeMapper types)
    {
        var model = new ServiceModel(node, types);
        EmitInterface(w, model);
        w.Line();
        EmitProxy(w, model);
        w.Line();
        EmitDispatcher(w, model);
    }

    private static void EmitInterface(CodeWriter w, ServiceModel service)
    {
        w.Summary("TARS interface <c>" + Literal.Xml(service.Node.FullName) + "</c>: implement it to serve the functions (bind the implementation with <see cref=\""
            + service.Dispatcher + "\"/>), or call them through <see cref=\"" + service.Proxy + "\"/>.");
        w.Line(CSharpEmitter.GeneratedCodeAttribute);
        w.Line("public interface " + service.InterfaceName);
        w.Open();
        var first = true;
        foreach (var op in service.Operations)
        {
            if (!first) w.Line();
            first = false;
            w.Summary("The TARS function <c>" + Literal.Xml(op.Signature) + "</c>.");
            foreach (var p in op.In)
                w.Line("/// <param name=\"" + p.Identifier.TrimStart('@') + "\">Parameter <c>" + Literal.Xml(p.Node.Name) + "</c> (tag " + p.Node.Tag + (p.Node.IsRouteKey ? ", the route key" : "") + ").</param>");
            w.Line("/// <param name=\"cancellationToken\">Cancels the call; on a server it fires when the caller's timeout passes.</param>");
            w.Line("/// <returns>" + op.ReturnsDoc + "</returns>");
            w.Line(op.ReturnType + " " + op.MethodName + "(" + op.ParameterList + ");");
        }
        foreach (var op in service.Operations.Where(o => o.Out.Count > 0))
        {
            w.Line();
            w.Summary("The results of <c>" + Literal.Xml(op.Node.Name) + "</c>: " + (op.Node.ReturnType is null ? "" : "the return value and ") + "the out parameters.");
            if (op.Node.ReturnType is not null) w.Line("/// <param name=\"ReturnValue\">The return value (<c>" + Literal.Xml(op.Node.ReturnType.ToString()) + "</c>).</param>");
            foreach (var p in op.Out) w.Line("/// <param name=\"" + p.Property + "\">Out parameter <c>" + Literal.Xml(p.Node.Name) + "</c> (tag " + p.Node.Tag + ").</param>");
            var fields = new List<string>();
            if (op.Node.ReturnType is not null) fields.Add(service.Types.CSharpType(op.Node.ReturnType) + " ReturnValue");
            fields.AddRange(op.Out.Select(p => p.CSharpType + " " + p.Property));
            w.Line("public sealed record " + op.ResultName + "(" + string.Join(", ", fields) + ");");
        }
        w.Close();
    }

    private static void EmitProxy(CodeWriter w, ServiceModel service)
    {
        var proxy = service.ProxyName;
        w.Summary("Client proxy for <see cref=\"" + service.InterfaceFullName + "\"/>: each method is one TARS call through a Meshwork <see cref=\"" + Invoker + "\"/>.");
        w.Line("/// <remarks>");
        w.Line("/// Give it an invoker that speaks TARS (for example a <c>TarsChannel</c>) and the TARS object name (<c>App.Server.Obj</c>).");
        w.Line("/// The proxy is immutable and thread-safe; <see cref=\"WithOptions\"/> and <see cref=\"WithContext\"/> make copies.");
        w.Line("/// </remarks>");
        w.Line(CSharpEmitter.GeneratedCodeAttribute);
        w.Line("public sealed class " + proxy + " : " + service.InterfaceFullName);
        w.Open();
        w.Line("private readonly " + Invoker + " _invoker;");
        w.Line("private readonly " + Method + "[] _methods;");
        w.Line("private readonly " + CallOptions + " _options;");
        w.Line("private readonly " + StringMap + "? _context;");
        w.Line();
        w.Summary("Creates a proxy that calls <paramref name=\"objectName\"/> through <paramref name=\"invoker\"/>.");
        w.Line("/// <param name=\"invoker\">The invoker every call goes through.</param>");
        w.Line("/// <param name=\"objectName\">The TARS object name, for example <c>App.Server.Obj</c>.</param>");
        w.Line("/// <exception cref=\"global::System.ArgumentNullException\"><paramref name=\"invoker\"/> is null.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\"><paramref name=\"objectName\"/> is null or blank.</exception>");
        w.Line("public " + proxy + "(" + Invoker + " invoker, string objectName)");
        w.Open();
        w.Line("_invoker = invoker ?? throw new global::System.ArgumentNullException(nameof(invoker));");
        w.Line("if (string.IsNullOrWhiteSpace(objectName)) throw new global::System.ArgumentException(\"A TARS object name (App.Server.Obj) is required.\", nameof(objectName));");
        w.Line("ObjectName = objectName;");
        w.Line("_methods = new " + Method + "[]");
        w.Open();
        foreach (var op in service.Operations)
            w.Line("global::Meshwork.Tars.TarsMethods.Unary(objectName, " + Literal.String(op.Node.Name) + "),");
        w.Close(";");
        w.Close();
        w.Line();
        w.Line("private " + proxy + "(" + proxy + " source, " + CallOptions + " options, " + StringMap + "? context)");
        w.Open();
        w.Line("_invoker = source._invoker;");
        w.Line("_methods = source._methods;");
        w.Line("ObjectName = source.ObjectName;");
        w.Line("_options = options;");
        w.Line("_context = context;");
        w.Close();
        w.Line();
        w.Summary("The TARS object name every call addresses.");
        w.Line("public string ObjectName { get; }");
        w.Line();
        w.Summary("A copy whose calls use <paramref name=\"options\"/> (timeout, headers); a method's cancellation token, when it can be cancelled, replaces the one in the options.");
        w.Line("/// <param name=\"options\">The call options.</param>");
        w.Line("/// <returns>The copy.</returns>");
        w.Line("public " + proxy + " WithOptions(" + CallOptions + " options) => new " + proxy + "(this, options, _context);");
        w.Line();
        w.Summary("A copy whose calls send <paramref name=\"context\"/> as the request's TARS <c>context</c> map.");
        w.Line("/// <param name=\"context\">The key/values; null sends an empty map.</param>");
        w.Line("/// <returns>The copy.</returns>");
        w.Line("public " + proxy + " WithContext(" + StringMap + "? context) => new " + proxy + "(this, _options, context);");
        w.Line();
        w.Line("private " + CallOptions + " Options(" + Token + " cancellationToken) =>");
        w.Line("    cancellationToken.CanBeCanceled ? _options with { CancellationToken = cancellationToken } : _options;");
        for (var i = 0; i < service.Operations.Count; i++)
        {
            var op = service.Operations[i];
            w.Line();
            w.Line("/// <inheritdoc/>");
            w.Line("public async " + op.ReturnType + " " + op.MethodName + "(" + op.ParameterList + ")");
            w.Open();
            var arguments = op.In.Count == 0 ? "null" : "new " + op.ArgumentsName + "(" + string.Join(", ", op.In.Select(p => p.Identifier)) + ")";
            var call = "await _invoker.UnaryAsync(_methods[" + i.ToString(CultureInfo.InvariantCulture) + "], new global::Meshwork.Tars.TarsInvocation(" + arguments
                + ") { Context = _context }, Options(cancellationToken)).ConfigureAwait(false)";
            if (op.Node.ReturnType is null && op.Out.Count == 0)
            {
                w.Line(call + ";");
            }
            else
            {
                w.Line("var reply = " + call + ";");
                var values = new List<string>();
                if (op.Node.ReturnType is not null) values.Add("reply.Results.ReadReturn(" + service.Types.ReaderLambda(op.Node.ReturnType, 0) + ")");
                values.AddRange(op.Out.Select(p => "reply.Results.Read(" + p.Node.Tag + ", " + Literal.String(p.Node.Name) + ", " + service.Types.ReaderLambda(p.Node.Type, 0) + ")"));
                if (op.Out.Count == 0)
                {
                    w.Line("return " + values[0] + ";");
                }
                else
                {
                    w.Line("return new " + op.ResultFullName + "(");
                    w.Indent++;
                    for (var v = 0; v < values.Count; v++) w.Line(values[v] + (v == values.Count - 1 ? ");" : ","));
                    w.Indent--;
                }
            }
            w.Close();
        }
        foreach (var op in service.Operations.Where(o => o.In.Count > 0)) EmitArguments(w, service, op);
        w.Close();
    }

    /// <summary>The in-parameters of one call; writes them by tag (TARS) or by name (TUP), whichever the invoker's wire version needs.</summary>
    private static void EmitArguments(CodeWriter w, ServiceModel service, OperationModel op)
    {
        w.Line();
        w.Line("private sealed class " + op.ArgumentsName + " : global::Meshwork.Tars.ITarsArguments");
        w.Open();
        for (var i = 0; i < op.In.Count; i++) w.Line("private readonly " + op.In[i].CSharpType + " _p" + i.ToString(CultureInfo.InvariantCulture) + ";");
        w.Line();
        w.Line("public " + op.ArgumentsName + "(" + string.Join(", ", op.In.Select(p => p.CSharpType + " " + p.Identifier)) + ")");
        w.Open();
        for (var i = 0; i < op.In.Count; i++) w.Line("this._p" + i.ToString(CultureInfo.InvariantCulture) + " = " + op.In[i].Identifier + ";");
        w.Close();
        w.Line();
        w.Line("public void WriteTo(global::Meshwork.Tars.TarsParameterWriter writer)");
        w.Open();
        for (var i = 0; i < op.In.Count; i++)
        {
            var p = op.In[i];
            w.Line("writer.Write(" + p.Node.Tag + ", " + Literal.String(p.Node.Name) + ", " + Literal.String(TypeMapper.TupTypeName(p.Node.Type)) + ", this._p" + i.ToString(CultureInfo.InvariantCulture)
                + ", " + service.Types.WriterLambda(p.Node.Type, 0) + ");");
        }
        w.Close();
        w.Close();
    }

    private static void EmitDispatcher(CodeWriter w, ServiceModel service)
    {
        w.Summary("Serves <see cref=\"" + service.InterfaceFullName + "\"/> over TARS: binds an implementation to a <see cref=\"" + Definition + "\"/>.");
        w.Line("/// <remarks>");
        w.Line("/// Arguments are read by tag (TARS v1) or by name (TUP); in-parameters are required, out-parameters sent by a caller are");
        w.Line("/// ignored. The reply carries the return value (tag 0, or key \"\" and <c>tars_ret</c>) and every out parameter.");
        w.Line("/// </remarks>");
        w.Line(CSharpEmitter.GeneratedCodeAttribute);
        w.Line("public static class " + service.DispatcherName);
        w.Open();
        w.Summary("The functions of <paramref name=\"objectName\"/>, all served by <paramref name=\"implementation\"/>.");
        w.Line("/// <param name=\"objectName\">The TARS object name, for example <c>App.Server.Obj</c>.</param>");
        w.Line("/// <param name=\"implementation\">The service.</param>");
        w.Line("/// <returns>The definition to add to a TARS server.</returns>");
        w.Line("/// <exception cref=\"global::System.ArgumentNullException\"><paramref name=\"implementation\"/> is null.</exception>");
        w.Line("public static " + Definition + " Bind(string objectName, " + service.InterfaceFullName + " implementation)");
        w.Open();
        w.Line("if (implementation is null) throw new global::System.ArgumentNullException(nameof(implementation));");
        w.Line("return Bind(objectName, _ => implementation);");
        w.Close();
        w.Line();
        w.Summary("The functions of <paramref name=\"objectName\"/>, each call served by the implementation <paramref name=\"factory\"/> returns for it (per-call or scoped instances; the context gives the TARS context and status maps).");
        w.Line("/// <param name=\"objectName\">The TARS object name, for example <c>App.Server.Obj</c>.</param>");
        w.Line("/// <param name=\"factory\">Returns the implementation for one call.</param>");
        w.Line("/// <returns>The definition to add to a TARS server.</returns>");
        w.Line("/// <exception cref=\"global::System.ArgumentNullException\"><paramref name=\"factory\"/> is null.</exception>");
        w.Line("public static " + Definition + " Bind(string objectName, global::System.Func<" + Context + ", " + service.InterfaceFullName + "> factory)");
        w.Open();
        w.Line("if (factory is null) throw new global::System.ArgumentNullException(nameof(factory));");
        if (service.Operations.Count == 0)
        {
            w.Line("return new " + Definition + "(objectName);");
        }
        else
        {
            w.Line("return new " + Definition + "(objectName)");
            w.Indent++;
            for (var i = 0; i < service.Operations.Count; i++)
            {
                var op = service.Operations[i];
                w.Line(".Add(" + Literal.String(op.Node.Name) + ", context => " + op.HandlerName + "(factory(context), context))" + (i == service.Operations.Count - 1 ? ";" : ""));
            }
            w.Indent--;
        }
        w.Close();
        foreach (var op in service.Operations) EmitHandler(w, service, op);
        w.Close();
    }

    private static void EmitHandler(CodeWriter w, ServiceModel service, OperationModel op)
    {
        w.Line();
        w.Line("private static async " + ValueTask + " " + op.HandlerName + "(" + service.InterfaceFullName + " service, " + Context + " context)");
        w.Open();
        foreach (var p in op.In)
            w.Line("var " + p.Identifier + " = context.Arguments.Read(" + p.Node.Tag + ", " + Literal.String(p.Node.Name) + ", " + service.Types.ReaderLambda(p.Node.Type, 0) + ");");
        var call = "await service." + op.MethodName + "(" + string.Join(", ", op.In.Select(p => p.Identifier).Concat(["context.CancellationToken"])) + ").ConfigureAwait(false)";
        if (op.Node.ReturnType is null && op.Out.Count == 0)
        {
            w.Line(call + ";");
        }
        else if (op.Out.Count == 0)
        {
            w.Line("var result = " + call + ";");
            w.Line("context.Results.WriteReturn(" + Literal.String(TypeMapper.TupTypeName(op.Node.ReturnType!)) + ", result, " + service.Types.WriterLambda(op.Node.ReturnType!, 0) + ");");
        }
        else
        {
            w.Line("var result = " + call + ";");
            w.Line("if (result is null) throw new global::System.InvalidOperationException(" + Literal.String(service.InterfaceName + "." + op.MethodName + " returned null instead of a result record.") + ");");
            if (op.Node.ReturnType is not null)
                w.Line("context.Results.WriteReturn(" + Literal.String(TypeMapper.TupTypeName(op.Node.ReturnType)) + ", result.ReturnValue, " + service.Types.WriterLambda(op.Node.ReturnType, 0) + ");");
            foreach (var p in op.Out)
            {
                w.Line("context.Results.Write(" + p.Node.Tag + ", " + Literal.String(p.Node.Name) + ", " + Literal.String(TypeMapper.TupTypeName(p.Node.Type)) + ", result." + p.Property
                    + ", " + service.Types.WriterLambda(p.Node.Type, 0) + ");");
            }
        }
        w.Close();
    }

    /// <summary>Names and types of one interface, computed once.</summary>
    private sealed class ServiceModel
    {
        public ServiceModel(InterfaceNode node, TypeMapper types)
        {
            Node = node;
            Types = types;
            var baseName = CSharpNames.Pascal(node.Name);
            InterfaceName = "I" + baseName;
            ProxyName = baseName + "Proxy";
            DispatcherName = baseName + "Dispatcher";
            var ns = "global::" + types.Namespace(node.Module) + ".";
            InterfaceFullName = ns + InterfaceName;
            Proxy = ns + ProxyName;
            Dispatcher = ns + DispatcherName;
            Operations = node.Operations.Select(o => new OperationModel(o, this)).ToList();
        }

        public InterfaceNode Node { get; }

        public TypeMapper Types { get; }

        public string InterfaceName { get; }

        public string ProxyName { get; }

        public string DispatcherName { get; }

        public string InterfaceFullName { get; }

        public string Proxy { get; }

        public string Dispatcher { get; }

        public List<OperationModel> Operations { get; }
    }

    private sealed class OperationModel
    {
        public OperationModel(OperationNode node, ServiceModel service)
        {
            Node = node;
            var pascal = CSharpNames.Pascal(node.Name);
            MethodName = CSharpNames.Method(node.Name);
            ArgumentsName = pascal + "Arguments";
            HandlerName = "Handle" + pascal + "Async";
            ResultName = pascal + "Result";
            ResultFullName = service.InterfaceFullName + "." + ResultName;
            In = node.Parameters.Where(p => !p.IsOut).Select(p => new ParameterModel(p, service.Types)).ToList();
            Out = node.Parameters.Where(p => p.IsOut).Select(p => new ParameterModel(p, service.Types)).ToList();
            Signature = (node.ReturnType?.ToString() ?? "void") + " " + node.Name + "(" + string.Join(", ", node.Parameters.Select(p =>
                (p.IsOut ? "out " : "") + (p.IsRouteKey ? "routekey " : "") + p.Type + " " + p.Name)) + ")";
            if (Out.Count > 0)
            {
                ReturnType = ValueTask + "<" + ResultFullName + ">";
                ReturnsDoc = "The results: <see cref=\"" + ResultFullName + "\"/>.";
            }
            else if (node.ReturnType is not null)
            {
                ReturnType = ValueTask + "<" + service.Types.CSharpType(node.ReturnType) + ">";
                ReturnsDoc = "The return value.";
            }
            else
            {
                ReturnType = ValueTask;
                ReturnsDoc = "Completes when the call has been answered.";
            }
            ParameterList = string.Join(", ", In.Select(p => p.CSharpType + " " + p.Identifier).Concat([Token + " cancellationToken = default"]));
        }

        public OperationNode Node { get; }

        public string MethodName { get; }

        public string ArgumentsName { get; }

        public string HandlerName { get; }

        public string ResultName { get; }

        public string ResultFullName { get; }

        public List<ParameterModel> In { get; }

        public List<ParameterModel> Out { get; }

        public string Signature { get; }

        public string ReturnType { get; }

        public string ReturnsDoc { get; }

        public string ParameterList { get; }
    }

    private sealed class ParameterModel(ParameterNode node, TypeMapper types)
    {
        public ParameterNode Node { get; } = node;

        public string CSharpType { get; } = types.CSharpType(node.Type);

        /// <summary>The C# parameter name; a name the generated code uses itself gets a trailing underscore.</summary>
        public string Identifier { get; } = node.Name is "cancellationToken" or "context" or "service" or "result" or "reply" or "writer"
            ? node.Name + "_" : CSharpNames.Identifier(node.Name);

        /// <summary>The property of the result record (out parameters).</summary>
        public string Property { get; } = CSharpNames.Pascal(node.Name) is "ReturnValue" or "EqualityContract" ? CSharpNames.Pascal(node.Name) + "Out" : CSharpNames.Pascal(node.Name);
    }
}
