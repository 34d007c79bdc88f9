using System.Text.Json;
using MklRnn.Interop;

namespace MklRnn.Tests.Cli;

public sealed class InfoVerbTests
{
    [Fact]
    public void InfoJson_ReportsWhatThisProcessLoaded()
    {
        var (code, output, error) = CliRunner.Run("info", "--json");
        Assert.True(code == 0, error);
        JsonElement info = JsonDocument.Parse(output).RootElement;
        Assert.Equal(NativeLoader.ShimPath, info.GetProperty("shim_path").GetString());
        Assert.Equal(NativeShim.AbiVersion.ToString(), info.GetProperty("shim_abi").GetString());
        Assert.Equal(NativeLoader.KernelIsa, info.GetProperty("kernel_isa").GetString());
        Assert.Equal(NativeLoader.IntelCpuOverrideActive ? "on" : "off", info.GetProperty("mkl_intel_cpu_override").GetString());
        Assert.Equal(MklRuntime.VersionString, info.GetProperty("mkl_version_string").GetString());
        Assert.True(File.Exists(info.GetProperty("mkl_path").GetString()), "mkl_path is the mapped file");
        Assert.Equal(MklRuntime.MaxThreads.ToString(), info.GetProperty("mkl_threads").GetString());
        // The CPU flags agree with what the runtime detects.
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported ? "yes" : "no", info.GetProperty("cpu_avx2").GetString());
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? "yes" : "no", info.GetProperty("cpu_avx512f").GetString());
        Assert.Contains(Environment.Version.ToString(), info.GetProperty("dotnet_version").GetString());
    }

    [Fact]
    public void InfoText_HasOneAlignedLinePerFact()
    {
        var (code, output, _) = CliRunner.Run("info");
        Assert.Equal(0, code);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("kernel_isa ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("mkl_intel_cpu_override_reason ", StringComparison.Ordinal));
        // Values start in one column: where the text after each key's padding begins.
        Assert.Single(lines.Select(l => l.Length - l[l.IndexOf(' ')..].TrimStart().Length).Distinct());
    }
}
