using MklRnn.IO;

namespace MklRnn.Tests.IO;

public sealed class SafeTensorsFuzzTests
{
    /// <summary>
    /// Random single-byte mutations and truncations: each input either parses (and then every tensor
    /// reads without error) or is rejected with InvalidDataException, never any other exception.
    /// </summary>
    [Fact]
    public void RandomMutations_ParseOrThrowInvalidData()
    {
        byte[] valid = SafeTensorsTestFiles.Small();
        var random = new Random(42);
        int parsed = 0, rejected = 0;
        for (int iteration = 0; iteration < 2000; iteration++)
        {
            byte[] bytes;
            string what;
            if (random.Next(5) == 0)
            {
                int length = random.Next(valid.Length);
                bytes = valid[..length];
                what = $"truncation to {length} bytes";
            }
            else
            {
                bytes = (byte[])valid.Clone();
                int position = random.Next(bytes.Length);
                byte value = (byte)random.Next(256);
                bytes[position] = value;
                what = $"byte {position} := 0x{value:X2}";
            }

            try
            {
                var f = SafeTensorsFile.Parse(bytes, "fuzz");
                ReadAll(f);
                parsed++;
            }
            catch (InvalidDataException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {iteration} ({what}): {e.GetType().Name}: {e.Message}");
            }
        }
        // Both outcomes occur (mutations inside tensor data still parse).
        Assert.True(parsed > 0 && rejected > 0, $"parsed {parsed}, rejected {rejected}");
    }

    private static void ReadAll(SafeTensorsFile f)
    {
        _ = f.Metadata.Count;
        foreach (var t in f.Tensors)
        {
            switch (t.Dtype)
            {
                case SafeTensorsDtype.F32 or SafeTensorsDtype.F64 or SafeTensorsDtype.F16 or SafeTensorsDtype.BF16:
                    Assert.Equal(t.ElementCount, f.ReadFloat32(t.Name).Length);
                    break;
                case SafeTensorsDtype.I64 or SafeTensorsDtype.I32:
                    Assert.Equal(t.ElementCount, f.ReadInt64(t.Name).Length);
                    break;
                default:
                    Assert.Equal(t.ByteLength, f.GetBytes(t.Name).Length);
                    break;
            }
        }
    }
}
