using MklRnn.Core;

namespace MklRnn.Tests.Core;

public class SizeMathTests
{
    /// <summary>Whole 64-byte lines, and one line more when the row's bytes are a multiple of 512 (L1 set aliasing).</summary>
    [Theory]
    [InlineData(2048, 4, 2064)] // S1's 4H int32 / float rows: 8 KB apart would share L1 sets
    [InlineData(512, 4, 528)]
    [InlineData(100, 4, 112)]   // 448 B: rounded to lines only
    [InlineData(16, 4, 16)]     // one line
    [InlineData(128, 4, 144)]   // 512 B
    [InlineData(3, 1, 64)]
    [InlineData(512, 1, 576)]
    public void PaddedLeadingDimensionRoundsToLinesAndAvoidsMultiplesOf512Bytes(int elements, int size, int expected)
    {
        int ld = SizeMath.PaddedLeadingDimension(elements, size);
        Assert.Equal(expected, ld);
        Assert.True(ld >= elements && ld * size % 64 == 0 && ld * size % 512 != 0);
    }
}
