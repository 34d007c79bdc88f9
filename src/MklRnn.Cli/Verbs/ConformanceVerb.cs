using System.CommandLine;
using System.Globalization;
using MklRnn.Tooling.Conformance;

namespace MklRnn.Cli.Verbs;

/// <summary>`mklrnn conformance DIR [--forward-only]`: runs every golden case in a folder; exit 1 when one fails.</summary>
internal static class ConformanceVerb
{
    public static Command Create()
    {
        var folder = new Argument<DirectoryInfo>("dir") { Description = "folder of *.safetensors conformance cases" };
        var forwardOnly = new Option<bool>("--forward-only") { Description = "check forward expectations only (skip backward)" };
        var command = new Command("conformance", "Run golden conformance cases; prints one line per case and `N passed, M failed`.")
        {
            folder, forwardOnly,
        };
        command.SetAction(parse => Run(parse.GetValue(folder)!, parse.GetValue(forwardOnly), parse.InvocationConfiguration.Output));
        return command;
    }

    public static int Run(DirectoryInfo folder, bool forwardOnly, TextWriter output)
    {
        if (!folder.Exists)
            throw UsageError.Because($"folder not found: {folder.FullName}");
        List<string> cases = ConformanceRunner.CaseFiles(folder.FullName).ToList();
        if (cases.Count == 0)
            throw UsageError.Because($"no *.safetensors case files in {folder.FullName}");
        int passed = 0, failed = 0;
        foreach (string path in cases)
        {
            CaseResult r = ConformanceRunner.Run(path, forwardOnly);
            if (r.Passed) passed++; else failed++;
            string err = double.IsNaN(r.MaxAbsError) ? "-" : r.MaxAbsError.ToString("0.00e+00", CultureInfo.InvariantCulture);
            output.WriteLine($"{(r.Passed ? "pass" : "FAIL"),-4}  {r.Name,-28} {r.Kind,-9} max_abs_err {err,-9} tensors {r.TensorsChecked,3}  {r.Message}");
        }
        output.WriteLine($"{passed} passed, {failed} failed");
        return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
