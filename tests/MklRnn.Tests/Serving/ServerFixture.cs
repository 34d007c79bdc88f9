using System.Net.Http.Json;
using System.Text.Json;
using MklRnn.Server;

namespace MklRnn.Tests.Serving;

/// <summary>
/// Tiny models trained once for the server tests (a 2-layer LSTM char-LM and a digit-reversal seq2seq model), and
/// helpers to run an in-process server (real Kestrel on 127.0.0.1, port 0) over them.
/// </summary>
public sealed class ServerFixture : IDisposable
{
    private readonly TempFolder _folder = new();

    public ServerFixture()
    {
        (TextPath, CharLm) = CharLmFixtures.TrainTiny(_folder, steps: 6);
        Seq2Seq = _folder["reverse.safetensors"];
        var train = CliRunner.Run("seq2seq", "train", "--out", Seq2Seq, "--steps", "20", "--length", "5", "--batch", "16", "--hidden", "16",
            "--embedding", "8", "--eval-size", "20", "--eval-every", "0");
        Assert.True(train.ExitCode == 0, train.Output + train.Error);
    }

    public string TextPath { get; }
    public string CharLm { get; }
    public string Seq2Seq { get; }

    public string this[string relative] => _folder[relative];

    /// <summary>A started server over both models ("lm", "rev") with the given limits.</summary>
    public async Task<MklRnnServer> StartAsync(int maxBatch = 64, int maxQueue = 256, int maxTokensLimit = 1000, int maxBodyBytes = 1 << 20,
        MklRnn.Precision precision = MklRnn.Precision.Float32)
    {
        var options = new ServerOptions
        {
            Models = [new("lm", CharLm), new("rev", Seq2Seq)],
            Port = 0,
            MaxBatch = maxBatch,
            MaxQueue = maxQueue,
            MaxTokensLimit = maxTokensLimit,
            MaxBodyBytes = maxBodyBytes,
            DrainTimeout = TimeSpan.FromSeconds(20),
            Precision = precision,
        };
        MklRnnServer server = MklRnnServer.Create(options, TextWriter.Null);
        await server.StartAsync();
        return server;
    }

    public static HttpClient Client(MklRnnServer server) =>
        new() { BaseAddress = new Uri($"http://127.0.0.1:{server.Port}/"), Timeout = TimeSpan.FromMinutes(2) };

    public static async Task<(int Status, JsonElement Body)> PostAsync(HttpClient http, string path, object body)
    {
        using HttpResponseMessage response = await http.PostAsJsonAsync(path, body);
        return ((int)response.StatusCode, await ReadJsonAsync(response));
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        using JsonDocument doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    public void Dispose() => _folder.Dispose();
}
