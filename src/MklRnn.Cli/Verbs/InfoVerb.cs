using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace MklRnn.Cli.Verbs;

/// <summary>
/// `mklrnn info [--json]`: what this process loaded and why — MKL (version, path, threads), the shim (path,
/// ABI, kernel ISA), the MKL vendor override's state and reason, the CPU and the flags that matter, .NET.
/// The first thing to run when the engine is slower than expected or does not load.
/// </summary>
internal static class InfoVerb
{
    /// <summary>The /proc/cpuinfo flags that decide which kernels run (name printed, flag read).</summary>
    private static readonly (string Name, string Flag)[] CpuFeatures =
    [
        ("avx2", "avx2"), ("fma", "fma"), ("avx512f", "avx512f"), ("avx512_bf16", "avx512_bf16"), ("avx512_vnni", "avx512_vnni"),
    ];

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "one JSON object instead of aligned lines" };
        var command = new Command("info", "What MklRnn loaded on this machine: MKL, the shim, kernel ISA, MKL vendor override, CPU, .NET.") { json };
        command.SetAction(parse => Run(parse.GetValue(json), parse.InvocationConfiguration.Output));
        return command;
    }

    /// <summary>Prints the facts; a library that does not load is the loader's exception (one error line, exit 1).</summary>
    public static int Run(bool json, TextWriter output)
    {
        IReadOnlyList<KeyValuePair<string, string>> facts = Collect();
        if (json)
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                writer.WriteStartObject();
                foreach (var (key, value) in facts) writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
        }
        else
        {
            int width = facts.Max(f => f.Key.Length);
            foreach (var (key, value) in facts) output.WriteLine($"{key.PadRight(width)}  {value}");
        }
        return ExitCodes.Ok;
    }

    /// <summary>The facts, in print order. Loads MKL and the shim (a failure is the loader's exception).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Collect()
    {
        IReadOnlyDictionary<string, string> machine = MklRuntime.MachineFacts();
        HashSet<string> flags = CpuFlags();
        var facts = new List<KeyValuePair<string, string>>
        {
            new("mklrnn_version", typeof(MklRuntime).Assembly.GetName().Version?.ToString() ?? "unknown"),
            new("dotnet_version", RuntimeInformation.FrameworkDescription),
            new("os", machine["os"]),
            new("rid", RuntimeInformation.RuntimeIdentifier),
            new("cpu", machine["cpu"]),
            new("cpu_vendor", machine["cpu_vendor"]),
            new("cores", machine["cores"]),
        };
        foreach (var (name, flag) in CpuFeatures) facts.Add(new("cpu_" + name, flags.Contains(flag) ? "yes" : "no"));
        facts.Add(new("precision_f32", "fp32 GEMMs (default; training is f32 only)"));
        facts.Add(new("precision_bf16", LowPrecisionUnit(flags, "avx512_bf16", "AVX512_BF16")));
        facts.Add(new("precision_int8", LowPrecisionUnit(flags, "avx512_vnni", "AVX512_VNNI")));
        facts.AddRange(
        [
            new("mkl_version", machine["mkl_version"]),
            new("mkl_version_string", machine["mkl_version_string"]),
            new("mkl_path", MappedPath(machine["mkl_path"])),
            new("mkl_threading_layer", machine["mkl_threading_layer"]),
            new("mkl_threads", machine["mkl_threads"]),
            new("mkl_intel_cpu_override", MklRuntime.IntelCpuOverrideActive ? "on" : "off"),
            new("mkl_intel_cpu_override_reason", MklRuntime.IntelCpuOverrideReason),
            new("shim_path", MklRuntime.ShimPath),
            new("shim_abi", MklRuntime.ShimAbiVersion.ToString()),
            new("kernel_isa", machine["isa"]),
        ]);
        return facts;
    }

    /// <summary>
    /// What --precision bf16/int8 runs on here: MKL's low-precision GEMMs use the unit when the CPU has it,
    /// and emulate it otherwise (correct results, but slower than f32: docs/precision.md).
    /// </summary>
    private static string LowPrecisionUnit(HashSet<string> flags, string flag, string name) =>
        flags.Contains(flag) ? $"{name} (native)" : $"no {name}: MKL emulates it, correct but slower than f32";

    /// <summary>The full path of a loaded library (from /proc/self/maps), or the name it was loaded by.</summary>
    private static string MappedPath(string loadedAs)
    {
        string file = Path.GetFileName(loadedAs);
        try
        {
            foreach (string line in File.ReadLines("/proc/self/maps"))
                if (line.IndexOf('/') is int slash and >= 0 && Path.GetFileName(line[slash..]) == file)
                    return line[slash..];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return loadedAs;
    }

    /// <summary>The first processor's flags in /proc/cpuinfo (empty where there is none).</summary>
    private static HashSet<string> CpuFlags()
    {
        string text;
        try
        {
            text = File.ReadAllText("/proc/cpuinfo");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
        foreach (string line in text.Split('\n'))
            if (line.StartsWith("flags", StringComparison.Ordinal) && line.IndexOf(':') is int colon and > 0)
                return [.. line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        return [];
    }
}
