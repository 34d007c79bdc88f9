using MklRnn.IO;
using MklRnn.Training;

namespace MklRnn.Tooling.Conformance;

/// <summary>
/// Runs a kind = clip conformance case: global L2-norm clipping of <c>g0</c>, <c>g1</c>, … (as many as
/// the file holds) to metadata <c>max_norm</c>; checks <c>total_norm</c> and every <c>clipped.gK</c>, through both
/// overloads of <see cref="GradientClipping.ClipByGlobalNorm(IReadOnlyList{float[]}, double)"/> (arrays and parameters).
/// </summary>
public static class ClipCase
{
    public static void Run(SafeTensorsFile file, CaseMetadata meta, TensorCheck check)
    {
        var gradients = new List<float[]>();
        var shapes = new List<int[]>();
        for (int k = 0; file.Contains($"g{k}"); k++)
        {
            gradients.Add(file.ReadFloat32($"g{k}"));
            shapes.Add(file[$"g{k}"].Shape);
        }
        if (gradients.Count == 0) throw new InvalidDataException("clip case without g0");
        double maxNorm = meta.Double("max_norm", double.NaN);
        if (!(maxNorm > 0)) throw new InvalidDataException($"max_norm: expected a positive number, got '{meta.Text("max_norm", "(missing)")}'");

        double atol = meta.Double("atol"), rtol = meta.Double("rtol");
        // Both entry points: plain arrays, and the parameters' gradients (what the trainers clip).
        var parameters = gradients.Select((g, k) => new Parameter($"g{k}", shapes[k])).ToList();
        try
        {
            for (int k = 0; k < gradients.Count; k++) gradients[k].CopyTo(parameters[k].Grad);
            double totalNorm = GradientClipping.ClipByGlobalNorm(gradients, maxNorm);
            check.Expect("total_norm", [(float)totalNorm], [], atol, rtol);
            for (int k = 0; k < gradients.Count; k++)
                check.Expect($"clipped.g{k}", gradients[k], shapes[k], atol, rtol);

            double parameterNorm = GradientClipping.ClipByGlobalNorm(parameters, maxNorm);
            check.Expect("total_norm", [(float)parameterNorm], [], atol, rtol);
            for (int k = 0; k < parameters.Count; k++)
                check.Expect($"clipped.{parameters[k].Name}", parameters[k].Grad, shapes[k], atol, rtol);
        }
        finally
        {
            foreach (Parameter p in parameters) p.Dispose();
        }
    }
}
