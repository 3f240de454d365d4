namespace Meshwork.Rpc; internal static class Placeholder {}
