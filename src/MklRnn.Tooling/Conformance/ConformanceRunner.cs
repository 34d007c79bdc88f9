using MklRnn.IO;

namespace MklRnn.Tooling.Conformance;

/// <summary>
/// Runs golden conformance cases (../shared/conformance/FORMAT.md): every *.safetensors in a folder,
/// dispatched on metadata `kind`. A case that throws fails with the exception's message.
/// </summary>
public static class ConformanceRunner
{
    public static IEnumerable<string> CaseFiles(string folder) =>
        Directory.EnumerateFiles(folder, "*.safetensors").Order(StringComparer.Ordinal);

    public static CaseResult Run(string path, bool forwardOnly)
    {
        string name = Path.GetFileNameWithoutExtension(path);
        string kind = "?";
        try
        {
            SafeTensorsFile file = SafeTensorsFile.Read(path);
            var meta = new CaseMetadata(file);
            kind = meta["kind"];
            var check = new TensorCheck(file);
            switch (kind)
            {
                case "rnn": RnnCase.Run(file, meta, check, forwardOnly); break;
                case "head": HeadCase.Run(file, meta, check); break;
                case "clip": ClipCase.Run(file, meta, check); break;
                case "attention": AttentionCase.Run(file, meta, check, forwardOnly); break;
                default: return new CaseResult(name, kind, false, double.NaN, 0, $"kind '{kind}' is not supported");
            }
            return new CaseResult(name, kind, check.Passed, check.MaxAbsError, check.Checked, check.Summary);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or InvalidOperationException or KeyNotFoundException or IOException)
        {
            return new CaseResult(name, kind, false, double.NaN, 0, $"{e.GetType().Name}: {e.Message}");
        }
    }
}
