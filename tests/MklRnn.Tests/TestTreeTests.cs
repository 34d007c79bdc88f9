using System.Reflection;
using System.Text.RegularExpressions;

namespace MklRnn.Tests;

/// <summary>
/// The source and test trees stay navigable: every folder is one namespace, the engine's folders depend one way,
/// the test tree mirrors the code (the engine's folders, one folder per other project), test classes have distinct
/// names, live in files of their name and share helpers through Helpers/ or a helper type, never through another
/// test class.
/// </summary>
public partial class TestTreeTests
{
    private static readonly string Root = SourceTree.Root();
    private static readonly string TestsRoot = Path.Combine(Root, "tests", "MklRnn.Tests");

    /// <summary>Test folders that mirror no code folder yet, and why (listed so a new one is a decision, not an accident).</summary>
    private static readonly Dictionary<string, string> Unmirrored = new()
    {
        ["Helpers"] = "the helpers shared by tests in every folder",
        ["Packaging"] = "the NuGet packages of the library and the CLI, built as a user gets them",
        ["Serving"] = "tests src/MklRnn.Server (to be renamed Server once the server work has landed)",
        ["Precision"] = "reduced precision spans Cells/ and Core/ (to be split once that work has landed)",
    };

    /// <summary>Test classes sharing a file with another, in folders whose tests are being written right now.</summary>
    private static readonly HashSet<string> Lodgers = ["OrtBenchEngineTests"]; // lodges with the ONNX CLI tests

    private static readonly Type[] TestClasses = typeof(TestTreeTests).Assembly.GetTypes()
        .Where(t => t.GetMethods().Any(m => m.GetCustomAttribute<FactAttribute>() != null)) // Theory is a Fact
        .ToArray();

    [Fact]
    public void NoTwoTestClassesHaveTheSameName()
    {
        var duplicates = TestClasses
            .GroupBy(t => t.Name)
            .Where(g => g.Count() > 1)
            .Select(g => string.Join(", ", g.Select(t => t.FullName)))
            .ToList();
        Assert.True(duplicates.Count == 0, string.Join("; ", duplicates));
    }

    [Fact]
    public void EveryFolderIsOneNamespace()
    {
        var projects = Directory.GetDirectories(Path.Combine(Root, "src"))
            .Append(Path.Combine(Root, "fuzz", "MklRnn.Fuzz"))
            .Append(Path.Combine(Root, "perf", "MklRnn.Perf"))
            .Append(TestsRoot);
        var wrong = new List<string>();
        foreach (string project in projects)
        {
            string rootNamespace = Path.GetFileName(project);
            foreach (string file in SourceFiles(project))
            {
                Match declared = NamespaceLine().Match(File.ReadAllText(file));
                if (!declared.Success) continue; // top-level statements (Program.cs)
                string folder = Path.GetRelativePath(project, Path.GetDirectoryName(file)!);
                string expected = folder == "." ? rootNamespace : rootNamespace + "." + folder.Replace(Path.DirectorySeparatorChar, '.');
                if (declared.Groups[1].Value != expected)
                    wrong.Add($"{Path.GetRelativePath(Root, file)}: namespace {declared.Groups[1].Value}, expected {expected}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void TestFoldersMirrorTheCode()
    {
        var unmatched = new List<string>();
        foreach (string folder in SourceFiles(TestsRoot).Select(f => Path.GetRelativePath(TestsRoot, Path.GetDirectoryName(f)!)).Distinct())
        {
            if (folder == ".") continue; // tests of the repository as a whole (README, this tree)
            string[] parts = folder.Split(Path.DirectorySeparatorChar);
            string rest = Path.Combine(parts.Skip(1).ToArray());
            bool mirrors = Directory.Exists(Path.Combine(Root, "src", "MklRnn", folder))               // an engine folder
                || Directory.Exists(Path.Combine(Root, "src", "MklRnn." + parts[0], rest))             // another project's folder
                || Directory.Exists(Path.Combine(Root, parts[0].ToLowerInvariant(), "MklRnn." + parts[0], rest)) // fuzz, perf
                || Unmirrored.ContainsKey(parts[0]);
            if (!mirrors) unmatched.Add(folder);
        }
        Assert.True(unmatched.Count == 0,
            "test folders mirroring no code folder (src/MklRnn/X, src/MklRnn.P/X or fuzz/MklRnn.Fuzz): " + string.Join(", ", unmatched));
    }

    [Fact]
    public void EachTestClassLivesInAFileOfItsName()
    {
        var files = SourceFiles(TestsRoot).Select(Path.GetFileNameWithoutExtension).ToHashSet();
        var homeless = TestClasses.Where(t => !t.IsNested && !files.Contains(t.Name) && !Lodgers.Contains(t.Name)).Select(t => t.FullName).ToList();
        Assert.True(homeless.Count == 0, "test classes in a file of another name: " + string.Join(", ", homeless));
    }

    [Fact]
    public void NoTestClassBorrowsFromAnother()
    {
        var borrowed = new List<string>();
        foreach (string file in SourceFiles(TestsRoot))
        {
            string text = File.ReadAllText(file);
            foreach (Type test in TestClasses.Where(t => t.Name != Path.GetFileNameWithoutExtension(file)))
                if (Regex.IsMatch(text, $@"\b{test.Name}\."))
                    borrowed.Add($"{Path.GetRelativePath(TestsRoot, file)} uses {test.Name}");
        }
        Assert.True(borrowed.Count == 0, "move what is shared to Helpers/ or a helper type: " + string.Join("; ", borrowed));
    }

    /// <summary>
    /// The engine folders each may use (docs/architecture.md): dependencies point one way, from the models down to
    /// Interop; Cells never uses Layers. A new arrow is a decision: add it here and in the doc.
    /// </summary>
    private static readonly Dictionary<string, string[]> MayUse = new()
    {
        [""] = ["Core", "Interop", "Memory"], // the public root-namespace types
        ["Interop"] = [],
        ["Memory"] = ["Interop"],
        ["Threading"] = ["Interop", "Memory"],
        ["Core"] = ["Interop", "Memory"],
        ["IO"] = ["Core", "Interop", "Memory"],
        ["Cells"] = ["Core", "Interop", "Memory"],
        ["Layers"] = ["Cells", "Core", "IO", "Interop", "Memory", "Threading"],
        ["Training"] = ["Core", "IO", "Interop", "Memory"],
        ["Modules"] = ["Core", "Interop", "Memory", "Training"],
        ["Distributed"] = ["Core", "Interop", "Memory", "Training"],
        ["CharLm"] = ["Cells", "Core", "Distributed", "IO", "Interop", "Layers", "Memory", "Modules", "Threading", "Training"],
        ["Seq2Seq"] = ["Cells", "Core", "Distributed", "IO", "Interop", "Layers", "Memory", "Modules", "Threading", "Training"],
    };

    [Fact]
    public void EngineFoldersDependOnlyDownwards()
    {
        string engine = Path.Combine(Root, "src", "MklRnn");
        var wrong = new List<string>();
        foreach (string file in SourceFiles(engine))
        {
            string folder = Path.GetRelativePath(engine, Path.GetDirectoryName(file)!).Split(Path.DirectorySeparatorChar)[0];
            if (folder == ".") folder = "";
            if (!MayUse.TryGetValue(folder, out string[]? allowed))
            {
                wrong.Add($"{folder}/ is a new engine folder: say what it may use in {nameof(MayUse)}");
                continue;
            }
            foreach (Match used in EngineNamespaceUse().Matches(File.ReadAllText(file)))
            {
                string target = used.Groups[1].Value; // MklRnn.Engine (the assembly's name) is no folder
                if (MayUse.ContainsKey(target) && target != folder && !allowed.Contains(target))
                    wrong.Add($"{Path.GetRelativePath(Root, file)} uses MklRnn.{target}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong.Distinct()));
    }

    private static IEnumerable<string> SourceFiles(string project) =>
        Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(project, f).Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj"));

    [GeneratedRegex(@"^namespace ([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    /// <summary>A using directive or a qualified name naming an engine namespace: MklRnn.Layers, MklRnn.Cells.Cell, ...</summary>
    [GeneratedRegex(@"\bMklRnn\.([A-Z]\w*)\b")]
    private static partial Regex EngineNamespaceUse();
}
