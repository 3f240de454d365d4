using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Meshwork.Rpc.Generators;

/// <summary>
/// Turns every <c>[RpcService]</c> interface into method descriptors, a client proxy, a server dispatcher and a
/// module-initializer registration with <c>RpcContracts</c>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class RpcServiceGenerator : IIncrementalGenerator
{
    /// <summary>Tracking name of the step that turns each attributed declaration into a model.</summary>
    public const string ServicesStep = "RpcServices";

    /// <summary>Registers the pipeline: find attributed interfaces, build a model per interface, emit its source.</summary>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var services = context.SyntaxProvider.ForAttributeWithMetadataName(
                "Meshwork.Rpc.RpcServiceAttribute",
                static (node, _) => node is BaseTypeDeclarationSyntax or DelegateDeclarationSyntax,
                static (ctx, ct) => ServiceParser.Parse(ctx, ct))
            .WithTrackingName(ServicesStep);

        context.RegisterSourceOutput(services, static (spc, service) =>
        {
            foreach (var diagnostic in service.Diagnostics) spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            if (service.HasErrors) return;
            spc.AddSource(service.HintName, SourceText.From(SourceEmitter.Emit(service), System.Text.Encoding.UTF8));
        });
    }
}
