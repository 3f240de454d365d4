namespace Meshwork.Aot.Tests;

/// <summary>
/// Publishes the Greeter sample with NativeAOT and runs the native binary: generated proxies, dispatchers and
/// MessagePack shapes must work with dynamic code switched off, and the publish must produce no trim/AOT warnings.
/// The sources are copied to a temporary folder so the publish cannot collide with the test build's outputs.
/// </summary>
public class NativeAotSampleTests
{
    [Fact]
    public async Task Greeter_sample_publishes_with_NativeAOT_and_runs()
    {
        string work = Repository.CopySources("src/Meshwork.Rpc", "src/Meshwork.Rpc.Generators", "src/Shared", "samples/Meshwork.Samples.Greeter");
        try
        {
            string output = Path.Combine(work, "out");
            var (code, log) = await RunAsync("dotnet", work, TimeSpan.FromMinutes(8),
                "publish", "samples/Meshwork.Samples.Greeter/Meshwork.Samples.Greeter.csproj", "-c", "Release", "-r", "linux-x64", "-o", output, "-nologo");
            Assert.True(code == 0, "publish failed:\n" + log);
            Assert.DoesNotContain("warning IL", log);

            var (runCode, runLog) = await RunAsync(Path.Combine(output, "Meshwork.Samples.Greeter"), work, TimeSpan.FromMinutes(1));
            Assert.True(runCode == 0, runLog);
            Assert.Contains("Hello, NativeAOT!", runLog);
            Assert.Contains("Hello #3, stream", runLog);
            Assert.Contains("counted 3 names", runLog);
            Assert.Contains("LINUS!", runLog);
            Assert.Contains("one-way works", runLog);
            Assert.Contains("dynamic code supported: False", runLog);
        }
        finally
        {
            Repository.DeleteCopy(work);
        }
    }

    private static async Task<(int Code, string Log)> RunAsync(string file, string cwd, TimeSpan timeout, params string[] args)
    {
        var (code, stdout, stderr) = await ProcessRunner.RunAsync(file, args, timeout, cwd);
        return (code, stdout + stderr);
    }
}
