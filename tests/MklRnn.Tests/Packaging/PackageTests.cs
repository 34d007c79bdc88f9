using System.Globalization;
using System.Text.Json;
using MklRnn.Interop;
using MklRnn.Layers;

namespace MklRnn.Tests.Packaging;

/// <summary>
/// The NuGet packages as a user gets them: the library packed, restored from a local folder feed into a
/// fresh console project (plain `dotnet build`, no runtime identifier) that runs a forward; the CLI packed
/// as a .NET tool and installed from the feed. Offline: the feed is the only source, packages go to a
/// private cache (never the machine's, which would keep a stale copy of the same version).
/// Tens of seconds: both pack the Release build that ./build.sh test has just made.
/// </summary>
public sealed class PackageTests
{
    private const int T = 5, N = 3, I = 4, H = 6, Seed = 11;

    private static RnnConfig Config => new(CellKind.Gru, I, H, numLayers: 2, bidirectional: true);

    /// <summary>The input both sides use: a fixed, exactly representable pattern.</summary>
    private static float[] Input() => Enumerable.Range(0, T * N * I).Select(k => (k % 13 - 6) / 8f).ToArray();

    [Fact]
    public void LibraryPackage_RestoredFromAFolderFeed_RunsAForwardLikeTheInTreeEngine()
    {
        using var temp = new TempFolder();
        string app = temp["app"];
        var (feed, environment) = PackIntoFeed(temp, "src/MklRnn/MklRnn.csproj");
        string package = Assert.Single(Directory.GetFiles(feed, "MklRnn.Engine.*.nupkg"));
        using (var zip = System.IO.Compression.ZipFile.OpenRead(package))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
            Assert.Contains("runtimes/linux-x64/native/libmklrnn_native.so", entries);
            Assert.Contains("runtimes/linux-x64/native/libmklrnn_intel_cpu.so", entries);
            Assert.Contains("README.md", entries);
        }

        Directory.CreateDirectory(app);
        string version = typeof(RecurrentStack).Assembly.GetName().Version!.ToString(3);
        WriteFeedConfig(app, feed);
        File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup><PackageReference Include="MklRnn.Engine" Version="{version}" /></ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), $$"""
            using System.Globalization;
            using MklRnn;
            using MklRnn.Layers;
            var config = new RnnConfig(CellKind.Gru, {{I}}, {{H}}, numLayers: 2, bidirectional: true);
            using var stack = new RecurrentStack(config, seed: {{Seed}});
            float[] input = Enumerable.Range(0, {{T * N * I}}).Select(k => (k % 13 - 6) / 8f).ToArray();
            var output = new float[{{T * N}} * config.OutputSize];
            stack.Forward(input, {{T}}, {{N}}, output);
            Console.WriteLine(MklRuntime.ShimPath);
            Console.WriteLine(string.Join(' ', output.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
            """);
        ExternalProcess.Dotnet(app, environment, "build", "-c", "Release", "-nologo", "-v", "q");
        string dll = Path.Combine(app, "bin", "Release", "net10.0", "Consumer.dll");

        var (code, output, error) = ExternalProcess.Run("dotnet", [dll], app);
        Assert.True(code == 0, error);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(Path.Combine("runtimes", "linux-x64", "native", "libmklrnn_native.so"), lines[0]);
        Assert.DoesNotContain("warning", error);
        float[] packaged = lines[1].Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();

        using var stack = new RecurrentStack(Config, seed: Seed);
        var expected = new float[T * N * Config.OutputSize];
        stack.Forward(Input(), T, N, expected);
        Assert.Equal(expected.Length, packaged.Length);
        for (int k = 0; k < expected.Length; k++) Assert.True(Math.Abs(expected[k] - packaged[k]) <= 1e-6f, $"output[{k}]: {packaged[k]} vs {expected[k]}");

        // Without the vendor override next to the app, a CPU that wants it (forced here, so this holds on
        // Intel too) gets one warning line, and still runs.
        if (!(System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported)) return;
        File.Delete(Path.Combine(app, "bin", "Release", "net10.0", "runtimes", "linux-x64", "native", "libmklrnn_intel_cpu.so"));
        (code, output, error) = ExternalProcess.Run("dotnet", [dll], app, new Dictionary<string, string> { ["MKLRNN_MKL_INTEL_CPU"] = "1" });
        Assert.True(code == 0, error);
        string warning = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("libmklrnn_intel_cpu.so not found", warning);
    }

    [Fact]
    public void CliToolPackage_InstallsFromAFolderFeed_AndFindsItsNativeLibraries()
    {
        using var temp = new TempFolder();
        string tools = temp["tools"];
        var (feed, environment) = PackIntoFeed(temp, "src/MklRnn.Cli/MklRnn.Cli.csproj");
        Directory.CreateDirectory(tools);
        WriteFeedConfig(temp.Path, feed);
        ExternalProcess.Dotnet(temp.Path, environment, "tool", "install", "--tool-path", tools, "--add-source", feed, "mklrnn");

        var (code, output, error) = ExternalProcess.Run(Path.Combine(tools, "mklrnn"), ["info", "--json"], temp.Path);
        Assert.True(code == 0, output + error);
        JsonElement info = JsonDocument.Parse(output).RootElement;
        Assert.StartsWith(tools, info.GetProperty("shim_path").GetString());
        Assert.Equal(NativeLoader.KernelIsa, info.GetProperty("kernel_isa").GetString());
        Assert.Equal(NativeLoader.IntelCpuOverrideReason, info.GetProperty("mkl_intel_cpu_override_reason").GetString());
    }

    /// <summary>Packs the Release build of a project into temp/feed; the environment points NuGet at a private cache.</summary>
    private static (string Feed, Dictionary<string, string> Environment) PackIntoFeed(TempFolder temp, string project)
    {
        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = temp["packages"] };
        ExternalProcess.Dotnet(SourceTree.Root(), environment, "pack", project, "-c", "Release", "--no-build", "-o", temp["feed"], "-nologo");
        return (temp["feed"], environment);
    }

    /// <summary>A nuget.config whose only source is the feed (offline, and no other version can win).</summary>
    private static void WriteFeedConfig(string folder, string feed) =>
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <configuration>
              <packageSources><clear /><add key="feed" value="{feed}" /></packageSources>
            </configuration>
            """);
}
