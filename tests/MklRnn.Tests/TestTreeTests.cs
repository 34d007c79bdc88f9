using System.Reflection;

namespace MklRnn.Tests;

/// <summary>The test tree stays navigable: no two test classes share a name (a filter by class name runs one of them).</summary>
public class TestTreeTests
{
    [Fact]
    public void NoTwoTestClassesHaveTheSameName()
    {
        var duplicates = typeof(TestTreeTests).Assembly.GetTypes()
            .Where(t => t.GetMethods().Any(m => m.GetCustomAttribute<FactAttribute>() != null))
            .GroupBy(t => t.Name)
            .Where(g => g.Count() > 1)
            .Select(g => string.Join(", ", g.Select(t => t.FullName)))
            .ToList();
        Assert.True(duplicates.Count == 0, string.Join("; ", duplicates));
    }
}
