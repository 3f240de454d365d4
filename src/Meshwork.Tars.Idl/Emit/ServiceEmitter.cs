using Meshwork.Tars.Idl.Syntax;

namespace Meshwork.Tars.Idl.Emit;

/// <summary>Emits a service interface, its client proxy and its server dispatcher.</summary>
internal static class ServiceEmitter
{
    public static void Emit(CodeWriter w, InterfaceNode node, TypeMapper types)
    {
        w.Summary("TARS interface <c>" + Literal.Xml(node.FullName) + "</c> (proxy and dispatcher pending).");
        w.Line(CSharpEmitter.GeneratedCodeAttribute);
        w.Line("public interface I" + CSharpNames.Pascal(node.Name));
        w.Open();
        w.Close();
    }
}
