using MklRnn.IO;

namespace MklRnn.Tooling.Conformance;

/// <summary>
/// Compares computed tensors with a case's expected ones by FORMAT.md's pass rule:
/// same shape, and |got - want| &lt;= atol + rtol * |want| elementwise. Collects the worst error and
/// the first failures (tensor, index, got, want) for the report.
/// </summary>
public sealed class TensorCheck(SafeTensorsFile file)
{
    private readonly List<string> _failures = [];

    public double MaxAbsError { get; private set; }
    public int Checked { get; private set; }
    public bool Passed => _failures.Count == 0;
    public string Summary => _failures.Count == 0 ? "" : string.Join("; ", _failures.Take(3)) + (_failures.Count > 3 ? $" (+{_failures.Count - 3} more)" : "");

    /// <summary>Checks `got` (laid out with shape `gotShape`) against the expected tensor `name`.</summary>
    public void Expect(string name, ReadOnlySpan<float> got, ReadOnlySpan<int> gotShape, double atol, double rtol)
    {
        Checked++;
        if (!file.Contains(name))
        {
            _failures.Add($"{name}: missing from the case file");
            return;
        }
        SafeTensorInfo info = file[name];
        if (!info.Shape.AsSpan().SequenceEqual(gotShape))
        {
            _failures.Add($"{name}: shape ({string.Join(", ", info.Shape)}) expected, computed ({string.Join(", ", gotShape.ToArray())})");
            return;
        }
        float[] want = file.ReadFloat32(name);
        int bad = 0, firstBad = -1;
        for (int i = 0; i < want.Length; i++)
        {
            double err = Math.Abs((double)got[i] - want[i]);
            if (double.IsNaN(err)) err = double.PositiveInfinity;
            if (err > MaxAbsError) MaxAbsError = err;
            if (err > atol + rtol * Math.Abs(want[i]))
            {
                if (bad++ == 0) firstBad = i;
            }
        }
        if (bad > 0)
            _failures.Add($"{name}: {bad} of {want.Length} elements out of tolerance, first [{firstBad}] got {got[firstBad]:G7} want {want[firstBad]:G7}");
    }

    /// <summary>
    /// Checks grad.&lt;name&gt; of every parameter, and that the case holds no grad.* tensor these did not cover
    /// (a parameter the case expects but the module does not have).
    /// </summary>
    public void ExpectParameterGradients(IEnumerable<Parameter> parameters, double atol, double rtol)
    {
        var covered = new HashSet<string>();
        foreach (Parameter p in parameters)
        {
            string name = "grad." + p.Name;
            covered.Add(name);
            Expect(name, p.Grad, p.Shape, atol, rtol);
        }
        RequireCovered(file.Tensors.Select(t => t.Name).Where(n => n.StartsWith("grad.", StringComparison.Ordinal)), covered);
    }

    /// <summary>Checks every expected tensor whose name starts with a prefix was covered.</summary>
    public void RequireCovered(IEnumerable<string> expectedNames, ISet<string> covered)
    {
        foreach (string name in expectedNames)
            if (!covered.Contains(name)) _failures.Add($"{name}: expected in the case but not checked");
    }
}
