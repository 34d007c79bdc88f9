namespace MklRnn.Tests.Helpers;

/// <summary>The source tree the tests were built in (the folder holding MklRnn.sln), for tests that read docs.</summary>
internal static class SourceTree
{
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MklRnn.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("MklRnn.sln not found above " + AppContext.BaseDirectory);
    }
}
