using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Meshwork.Rpc.Generators;

/// <summary>Reads an [RpcService] interface symbol into a <see cref="ServiceModel"/>, collecting diagnostics on the way.</summary>
internal static class ServiceParser
{
    private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private static readonly SymbolDisplayFormat s_bareTypeFormat = SymbolDisplayFormat.FullyQualifiedFormat;

    private static readonly SymbolDisplayFormat s_methodFormat = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameOnly,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
        memberOptions: SymbolDisplayMemberOptions.None);

    public static ServiceModel Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var symbol = (INamedTypeSymbol)context.TargetSymbol;
        var diagnostics = new List<DiagnosticInfo>();
        var location = LocationInfo.From(symbol.Locations.FirstOrDefault());

        var interfaceName = symbol.Name;
        var baseName = interfaceName.Length > 1 && interfaceName[0] == 'I' && char.IsUpper(interfaceName[1])
            ? interfaceName.Substring(1)
            : interfaceName;
        var serviceName = ReadServiceName(context.Attributes) ?? baseName;
        var ns = symbol.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : null;
        var fullName = symbol.ToDisplayString(s_bareTypeFormat);
        var hintName = (ns is null ? "" : ns + ".") + MetadataPath(symbol) + ".Rpc.g.cs";

        var methods = new List<MethodModel>();
        var accessibility = EffectiveAccessibility(symbol);

        if (symbol.TypeKind != TypeKind.Interface)
        {
            diagnostics.Add(Diag(RpcDiagnostics.NotAnInterface, location, symbol.Name));
            return Result();
        }

        if (symbol.IsGenericType || IsInsideGenericType(symbol))
        {
            diagnostics.Add(Diag(RpcDiagnostics.UnsupportedInterface, location, symbol.Name, "is generic; RPC contracts cannot have type parameters"));
            return Result();
        }

        if (IsFileLocal(symbol))
        {
            diagnostics.Add(Diag(RpcDiagnostics.UnsupportedInterface, location, symbol.Name, "is file-local; generated code lives in another file and cannot implement it"));
            return Result();
        }

        if (accessibility is not (Accessibility.Public or Accessibility.Internal))
        {
            diagnostics.Add(Diag(RpcDiagnostics.UnsupportedInterface, location, symbol.Name, "must be public or internal so that generated code can implement it"));
            return Result();
        }

        var wireNames = new Dictionary<string, string>(System.StringComparer.Ordinal);
        var fieldNames = new HashSet<string>(System.StringComparer.Ordinal);

        foreach (var member in AllMembers(symbol))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var memberLocation = LocationInfo.From(member.Locations.FirstOrDefault()) ?? location;
            switch (member)
            {
                case IMethodSymbol { MethodKind: MethodKind.Ordinary } method when !method.IsStatic && method.IsAbstract:
                    var model = ParseMethod(method, serviceName, memberLocation, diagnostics);
                    if (model is null) break;
                    if (wireNames.TryGetValue(model.WireName, out var existing))
                    {
                        diagnostics.Add(Diag(RpcDiagnostics.DuplicateMethodName, memberLocation, method.Name, serviceName, model.WireName, existing));
                        break;
                    }
                    wireNames.Add(model.WireName, method.Name);
                    var field = model.FieldName;
                    for (var i = 2; !fieldNames.Add(field); i++) field = model.FieldName + "_" + i.ToString(CultureInfo.InvariantCulture);
                    methods.Add(model with { FieldName = field });
                    break;
                case IMethodSymbol { MethodKind: MethodKind.Ordinary } method when !method.IsAbstract:
                    // Default-implemented and static helper methods are not part of the wire contract.
                    break;
                case IMethodSymbol { MethodKind: MethodKind.Ordinary } method:
                    diagnostics.Add(Diag(RpcDiagnostics.UnsupportedMember, memberLocation, "Static abstract method", method.Name, serviceName));
                    break;
                case IMethodSymbol:
                    // Accessors and operators are reported through their owning member.
                    break;
                case IPropertySymbol { IsIndexer: true } property when property.IsAbstract:
                    diagnostics.Add(Diag(RpcDiagnostics.UnsupportedMember, memberLocation, "Indexer", property.Name, serviceName));
                    break;
                case IPropertySymbol property when property.IsAbstract:
                    diagnostics.Add(Diag(RpcDiagnostics.UnsupportedMember, memberLocation, "Property", property.Name, serviceName));
                    break;
                case IEventSymbol @event when @event.IsAbstract:
                    diagnostics.Add(Diag(RpcDiagnostics.UnsupportedMember, memberLocation, "Event", @event.Name, serviceName));
                    break;
            }
        }

        return Result();

        ServiceModel Result() => new(
            ns,
            fullName,
            accessibility == Accessibility.Public,
            serviceName,
            baseName,
            hintName,
            new EquatableArray<MethodModel>(methods),
            new EquatableArray<DiagnosticInfo>(diagnostics));
    }

    private static MethodModel? ParseMethod(IMethodSymbol method, string serviceName, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        var before = diagnostics.Count;
        var methodName = method.ToDisplayString(s_methodFormat);

        if (method.IsGenericMethod)
        {
            diagnostics.Add(Diag(RpcDiagnostics.GenericMethod, location, methodName, serviceName));
            return null;
        }

        string? wireName = null;
        var oneWay = false;
        var idempotent = false;
        foreach (var attribute in method.GetAttributes())
        {
            if (!IsType(attribute.AttributeClass, "Meshwork.Rpc", "RpcMethodAttribute")) continue;
            foreach (var named in attribute.NamedArguments)
            {
                switch (named.Key)
                {
                    case "Name" when named.Value.Value is string s && s.Length > 0:
                        wireName = s;
                        break;
                    case "OneWay" when named.Value.Value is bool b:
                        oneWay = b;
                        break;
                    case "Idempotent" when named.Value.Value is bool b:
                        idempotent = b;
                        break;
                }
            }
        }
        var shortName = method.Name.Length > "Async".Length && method.Name.EndsWith("Async", System.StringComparison.Ordinal)
            ? method.Name.Substring(0, method.Name.Length - "Async".Length)
            : method.Name;
        wireName ??= shortName;

        // Parameters.
        var parameters = new List<ParameterModel>();
        MessageModel? request = null;
        var requestIsStream = false;
        var messageCount = 0;
        var seenToken = false;
        var seenOptions = false;
        foreach (var parameter in method.Parameters)
        {
            var parameterLocation = LocationInfo.From(parameter.Locations.FirstOrDefault()) ?? location;
            if (parameter.RefKind != RefKind.None)
            {
                var refKind = parameter.RefKind switch
                {
                    RefKind.Ref => "ref",
                    RefKind.Out => "out",
                    RefKind.In => "in",
                    _ => "ref readonly",
                };
                diagnostics.Add(Diag(RpcDiagnostics.ByRefParameter, parameterLocation, parameter.Name, methodName, serviceName, refKind));
                continue;
            }

            var identifier = Escape(parameter.Name);
            var typeName = parameter.Type.ToDisplayString(s_typeFormat);
            if (IsType(parameter.Type, "System.Threading", "CancellationToken"))
            {
                if (seenToken) diagnostics.Add(Diag(RpcDiagnostics.DuplicateSpecialParameter, parameterLocation, methodName, serviceName, "CancellationToken"));
                seenToken = true;
                parameters.Add(new ParameterModel(identifier, typeName, ParameterRole.CancellationToken, DefaultValue(parameter)));
                continue;
            }
            if (IsType(parameter.Type, "Meshwork.Rpc", "CallOptions"))
            {
                if (seenOptions) diagnostics.Add(Diag(RpcDiagnostics.DuplicateSpecialParameter, parameterLocation, methodName, serviceName, "CallOptions"));
                seenOptions = true;
                parameters.Add(new ParameterModel(identifier, typeName, ParameterRole.CallOptions, DefaultValue(parameter)));
                continue;
            }

            messageCount++;
            parameters.Add(new ParameterModel(identifier, typeName, ParameterRole.Message, DefaultValue(parameter)));
            if (messageCount > 1) continue;
            var messageType = parameter.Type;
            if (AsyncEnumerableElement(messageType) is { } element)
            {
                requestIsStream = true;
                messageType = element;
            }
            request = Message(messageType, methodName, serviceName, parameterLocation, diagnostics);
        }
        if (messageCount > 1)
        {
            diagnostics.Add(Diag(RpcDiagnostics.TooManyMessageParameters, location, methodName, serviceName, messageCount.ToString(CultureInfo.InvariantCulture)));
        }
        request ??= MessageModel.Empty;

        // Return type.
        var returnType = method.ReturnType;
        ReturnShape? shape = null;
        MessageModel response = MessageModel.Empty;
        if (returnType is INamedTypeSymbol namedReturn)
        {
            if (IsType(namedReturn, "System.Threading.Tasks", "Task")) shape = ReturnShape.Task;
            else if (IsType(namedReturn, "System.Threading.Tasks", "ValueTask")) shape = ReturnShape.ValueTask;
            else if (IsType(namedReturn, "System.Threading.Tasks", "Task`1")) shape = ReturnShape.TaskOfT;
            else if (IsType(namedReturn, "System.Threading.Tasks", "ValueTask`1")) shape = ReturnShape.ValueTaskOfT;
            else if (IsType(namedReturn, "System.Collections.Generic", "IAsyncEnumerable`1")) shape = ReturnShape.AsyncEnumerable;
            if (shape is ReturnShape.TaskOfT or ReturnShape.ValueTaskOfT or ReturnShape.AsyncEnumerable && IsTaskOrStream(namedReturn.TypeArguments[0]))
            {
                // Task<IAsyncEnumerable<T>>, IAsyncEnumerable<Task<T>> and friends.
                shape = null;
            }
            else if (shape is ReturnShape.TaskOfT or ReturnShape.ValueTaskOfT or ReturnShape.AsyncEnumerable)
            {
                response = Message(namedReturn.TypeArguments[0], methodName, serviceName, location, diagnostics);
            }
        }
        if (shape is null)
        {
            diagnostics.Add(Diag(RpcDiagnostics.UnsupportedReturnType, location, methodName, serviceName, returnType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)));
            return null;
        }

        RpcKind kind;
        if (oneWay)
        {
            kind = RpcKind.OneWay;
            if (shape is not (ReturnShape.Task or ReturnShape.ValueTask))
            {
                diagnostics.Add(Diag(RpcDiagnostics.InvalidOneWay, location, methodName, serviceName, "returns '" + returnType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) + "'"));
            }
            else if (requestIsStream)
            {
                diagnostics.Add(Diag(RpcDiagnostics.InvalidOneWay, location, methodName, serviceName, "takes a request stream"));
            }
        }
        else if (requestIsStream)
        {
            kind = shape == ReturnShape.AsyncEnumerable ? RpcKind.DuplexStreaming : RpcKind.ClientStreaming;
        }
        else
        {
            kind = shape == ReturnShape.AsyncEnumerable ? RpcKind.ServerStreaming : RpcKind.Unary;
        }

        if (diagnostics.Count != before) return null;

        var identifierName = Escape(method.Name);
        return new MethodModel(
            identifierName,
            Escape(shortName),
            wireName,
            kind,
            shape.Value,
            returnType.ToDisplayString(s_typeFormat),
            request,
            response,
            idempotent,
            new EquatableArray<ParameterModel>(parameters));
    }

    private static MessageModel Message(ITypeSymbol type, string methodName, string serviceName, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        if (type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer or TypeKind.TypeParameter || type.IsRefLikeType
            || type.SpecialType == SpecialType.System_Void || IsTaskOrStream(type))
        {
            diagnostics.Add(Diag(RpcDiagnostics.UnsupportedMessageType, location, methodName, serviceName, type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)));
            return MessageModel.Empty;
        }

        var typeName = type.ToDisplayString(s_typeFormat);
        var bare = type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(s_typeFormat);
        var isEmpty = IsType(type, "Meshwork.Rpc", "Empty");
        return new MessageModel(typeName, bare, Format(type), isEmpty);
    }

    private static MessageFormat Format(ITypeSymbol type)
    {
        if (type is not INamedTypeSymbol named) return MessageFormat.Plain;
        if (named.IsValueType && named.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T) return MessageFormat.Plain;

        foreach (var attribute in named.OriginalDefinition.GetAttributes())
        {
            if (IsType(attribute.AttributeClass, "PolyType", "GenerateShapeAttribute")) return MessageFormat.Shapeable;
        }

        var definition = named.WithNullableAnnotation(NullableAnnotation.NotAnnotated);
        foreach (var implemented in named.AllInterfaces)
        {
            if (implemented.TypeArguments.Length != 1 || !SymbolEqualityComparer.Default.Equals(implemented.TypeArguments[0], definition)) continue;
            if (IsType(implemented, "PolyType", "IShapeable`1")) return MessageFormat.Shapeable;
        }
        if (named.IsReferenceType && !named.IsAbstract && named.InstanceConstructors.Any(c => c.Parameters.Length == 0 && c.DeclaredAccessibility == Accessibility.Public))
        {
            foreach (var implemented in named.AllInterfaces)
            {
                if (implemented.TypeArguments.Length != 1 || !SymbolEqualityComparer.Default.Equals(implemented.TypeArguments[0], definition)) continue;
                if (IsType(implemented, "Google.Protobuf", "IMessage`1")) return MessageFormat.Protobuf;
            }
        }
        return MessageFormat.Plain;
    }

    private static bool IsTaskOrStream(ITypeSymbol type) =>
        IsType(type, "System.Threading.Tasks", "Task") || IsType(type, "System.Threading.Tasks", "Task`1")
        || IsType(type, "System.Threading.Tasks", "ValueTask") || IsType(type, "System.Threading.Tasks", "ValueTask`1")
        || IsType(type, "System.Collections.Generic", "IAsyncEnumerable`1");

    private static ITypeSymbol? AsyncEnumerableElement(ITypeSymbol type) =>
        type is INamedTypeSymbol named && IsType(named, "System.Collections.Generic", "IAsyncEnumerable`1") ? named.TypeArguments[0] : null;

    private static string? DefaultValue(IParameterSymbol parameter)
    {
        if (!parameter.HasExplicitDefaultValue) return null;
        var value = parameter.ExplicitDefaultValue;
        if (value is null) return "default";
        var literal = SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false);
        // A nullable parameter's constant has the underlying type (int? x = 7 is written as 7).
        var type = parameter.Type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
            ? nullable.TypeArguments[0]
            : parameter.Type;
        if (type.TypeKind == TypeKind.Enum)
        {
            return "(" + type.ToDisplayString(s_bareTypeFormat) + ")(" + literal + ")";
        }
        return value switch
        {
            float f when float.IsNaN(f) => "float.NaN",
            float f when float.IsPositiveInfinity(f) => "float.PositiveInfinity",
            float f when float.IsNegativeInfinity(f) => "float.NegativeInfinity",
            double d when double.IsNaN(d) => "double.NaN",
            double d when double.IsPositiveInfinity(d) => "double.PositiveInfinity",
            double d when double.IsNegativeInfinity(d) => "double.NegativeInfinity",
            float => literal + "F",
            double => literal + "D",
            decimal => literal + "M",
            long => literal + "L",
            ulong => literal + "UL",
            uint => literal + "U",
            byte or sbyte or short or ushort => "(" + type.ToDisplayString(s_bareTypeFormat) + ")(" + literal + ")",
            _ => literal,
        };
    }

    private static IEnumerable<ISymbol> AllMembers(INamedTypeSymbol symbol)
    {
        foreach (var member in symbol.GetMembers()) yield return member;
        foreach (var inherited in symbol.AllInterfaces)
        {
            foreach (var member in inherited.GetMembers()) yield return member;
        }
    }

    private static string? ReadServiceName(System.Collections.Immutable.ImmutableArray<AttributeData> attributes)
    {
        foreach (var attribute in attributes)
        {
            if (attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is string s && s.Length > 0) return s;
        }
        return null;
    }

    private static bool IsFileLocal(INamedTypeSymbol symbol)
    {
        for (var t = symbol; t is not null; t = t.ContainingType)
        {
            if (t.IsFileLocal) return true;
        }
        return false;
    }

    private static bool IsInsideGenericType(INamedTypeSymbol symbol)
    {
        for (var t = symbol.ContainingType; t is not null; t = t.ContainingType)
        {
            if (t.IsGenericType) return true;
        }
        return false;
    }

    private static Accessibility EffectiveAccessibility(INamedTypeSymbol symbol)
    {
        var result = Accessibility.Public;
        for (ISymbol? s = symbol; s is INamedTypeSymbol t; s = t.ContainingType)
        {
            switch (t.DeclaredAccessibility)
            {
                case Accessibility.Public:
                    break;
                case Accessibility.Internal:
                    result = Accessibility.Internal;
                    break;
                default:
                    return t.DeclaredAccessibility;
            }
        }
        return result;
    }

    private static string MetadataPath(INamedTypeSymbol symbol) =>
        symbol.ContainingType is { } outer ? MetadataPath(outer) + "." + symbol.MetadataName.Replace('`', '_') : symbol.MetadataName.Replace('`', '_');

    /// <summary>Compares a type by namespace and metadata name, so lookalikes from several references still match.</summary>
    internal static bool IsType(ITypeSymbol? type, string ns, string metadataName)
    {
        if (type is null || type.MetadataName != metadataName || type.ContainingType is not null) return false;
        return type.ContainingNamespace?.ToDisplayString() == ns;
    }

    private static string Escape(string identifier) =>
        SyntaxFacts.GetKeywordKind(identifier) != SyntaxKind.None
            ? "@" + identifier
            : identifier;

    private static DiagnosticInfo Diag(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
        new(descriptor.Id, location, new EquatableArray<string>(arguments));
}
