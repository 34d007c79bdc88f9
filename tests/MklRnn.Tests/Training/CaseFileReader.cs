using System.Globalization;
using MklRnn.Cli.Conformance;
using MklRnn.IO;

namespace MklRnn.Tests.Training;

/// <summary>Test-side access to a conformance case: the project's safetensors reader and its pass rule, with xunit asserts.</summary>
internal sealed class CaseFileReader(string path)
{
    private readonly SafeTensorsFile _file = SafeTensorsFile.Read(path);

    public static string CasesDirectory => Path.Combine(AppContext.BaseDirectory, "conformance");

    public static CaseFileReader Open(string caseName) => new(Path.Combine(CasesDirectory, caseName + ".safetensors"));

    public IReadOnlyDictionary<string, string> Metadata => _file.Metadata;

    public double Double(string key) => double.Parse(Metadata[key], CultureInfo.InvariantCulture);

    public bool Contains(string name) => _file.Contains(name);

    public int[] Shape(string name) => _file[name].Shape;

    public float[] Float32(string name) => _file.ReadFloat32(name);

    public int[] Int64AsInt32(string name) => _file.ReadInt32Checked(name);

    /// <summary>The conformance pass rule (<see cref="TensorCheck"/>), as an assertion.</summary>
    public void Expect(string name, ReadOnlySpan<float> got, int[] gotShape, double atol, double rtol)
    {
        var check = new TensorCheck(_file);
        check.Expect(name, got, gotShape, atol, rtol);
        Assert.True(check.Passed, check.Summary);
    }
}
