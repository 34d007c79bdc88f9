using MklRnn.Core;
using MklRnn.Layers;
using MklRnn.Memory;
using MklRnn.Modules;
using MklRnn.Training;

namespace MklRnn.Seq2Seq;

/// <summary>
/// The source side: an embedding ("encoder.embedding.weight") and a recurrent stack ("encoder.rnn.*") of any
/// cell, layers and directions over variable-length sources. Forward gives the outputs (S, N, D*H), the keys
/// attention reads, and the final state in the decoder's layout (L, N, D*H): layer l's forward and reverse
/// final states side by side. Backward takes the gradients of both and accumulates every parameter gradient.
/// With <see cref="Seq2SeqConfig.ReverseSource"/> each source's valid tokens are read last to first: output step s
/// then belongs to source token len - 1 - s (<see cref="SourcePosition"/>).
/// </summary>
public sealed unsafe class Encoder : IParameterized, IDisposable
{
    private readonly Embedding _embedding;
    private readonly RecurrentStack _rnn;
    private readonly Parameter[] _parameters;
    private readonly Workspace _embedded = new("enc_embedded");   // (S*N, E)
    private readonly Workspace _output = new("enc_output");       // (S*N, D*H)
    private readonly Workspace _stackH = new("enc_hn");           // (L*D, N, H) the stack's layout
    private readonly Workspace _stackC = new("enc_cn");
    private readonly Workspace _finalH = new("enc_final_h");      // (L, N, D*H) the decoder's layout
    private readonly Workspace _finalC = new("enc_final_c");
    private readonly Workspace _gradEmbedded = new("enc_dembedded");
    private int[] _ids = [];
    private int _S, _N;
    private bool _disposed;

    public Encoder(Seq2SeqConfig config, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        _embedding = new Embedding(config.SourceVocabularySize, config.EmbeddingSize, "encoder.embedding.", seed);
        _rnn = new RecurrentStack(new RnnConfig(config.Cell, config.EmbeddingSize, config.HiddenSize, config.NumLayers, config.Bidirectional),
            seed + 1, "encoder.rnn.");
        _parameters = [.. _embedding.Parameters, .. _rnn.Parameters];
    }

    public Seq2SeqConfig Config { get; }

    /// <summary>The embedding's weight, then the stack's parameters.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    public RecurrentStack Stack => _rnn;

    private bool Lstm => Config.Cell == CellKind.Lstm;

    /// <summary>S of the last forward.</summary>
    public int SourceLength => _S;

    /// <summary>N of the last forward.</summary>
    public int BatchSize => _N;

    /// <summary>(S, N, D*H) outputs of the last forward, zero at padded steps.</summary>
    public ReadOnlySpan<float> Output => new(_output.Pointer, _S * _N * Config.DecoderHiddenSize);

    /// <summary>(L, N, D*H) final hidden state of the last forward, in the decoder's layout.</summary>
    public ReadOnlySpan<float> FinalH => new(_finalH.Pointer, Config.NumLayers * _N * Config.DecoderHiddenSize);

    /// <summary>(L, N, D*H) final cell state (LSTM), else empty.</summary>
    public ReadOnlySpan<float> FinalC => Lstm ? new(_finalC.Pointer, Config.NumLayers * _N * Config.DecoderHiddenSize) : default;

    /// <summary>Runs the sources through; training keeps what <see cref="Backward"/> needs.</summary>
    public void Forward(TokenBatch source, bool training)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(source);
        int S = source.SeqLength, N = source.BatchSize, E = Config.EmbeddingSize, W = Config.DecoderHiddenSize;
        int L = Config.NumLayers, D = Config.Directions, H = Config.HiddenSize;
        _S = S;
        _N = N;
        if (_ids.Length < S * N) _ids = new int[S * N];
        source.Ids.CopyTo(_ids);
        if (Config.ReverseSource) ReverseValidTokens(_ids, S, N, source.Lengths);
        var embedded = new Span<float>(_embedded.Ensure((long)S * N * E), S * N * E);
        _embedding.Forward(_ids.AsSpan(0, S * N), embedded);
        var output = new Span<float>(_output.Ensure((long)S * N * W), S * N * W);
        var hN = new Span<float>(_stackH.Ensure((long)L * D * N * H), L * D * N * H);
        var cN = Lstm ? new Span<float>(_stackC.Ensure((long)L * D * N * H), L * D * N * H) : default;
        _rnn.Forward(embedded, S, N, output, default, default, hN, cN, source.Lengths, training);
        ToDecoderLayout(_stackH.Pointer, _finalH.Ensure((long)L * N * W), N);
        if (Lstm) ToDecoderLayout(_stackC.Pointer, _finalC.Ensure((long)L * N * W), N);
    }

    /// <summary>
    /// Backward of the last training forward: gradOutput (S, N, D*H), gradFinalH / gradFinalC (L, N, D*H)
    /// (gradFinalC for LSTM only, may be empty). Accumulates the stack's and the embedding's gradients.
    /// </summary>
    public void Backward(ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> gradFinalH, ReadOnlySpan<float> gradFinalC)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int S = _S, N = _N, E = Config.EmbeddingSize, W = Config.DecoderHiddenSize;
        int L = Config.NumLayers, D = Config.Directions, H = Config.HiddenSize;
        Shapes.Require(nameof(gradOutput), gradOutput.Length, [S, N, W], "as the encoder output (S, N, D*H)");
        Shapes.Require(nameof(gradFinalH), gradFinalH.Length, [L, N, W], "as (L, N, D*H)");
        if (Lstm) Shapes.RequireOptional(nameof(gradFinalC), gradFinalC.Length, [L, N, W], "as (L, N, D*H)");
        var gradHn = new Span<float>(_stackH.Pointer, L * D * N * H);
        var gradCn = Lstm ? new Span<float>(_stackC.Pointer, L * D * N * H) : default;
        fixed (float* pH = gradFinalH, pC = gradFinalC)
        {
            FromDecoderLayout(pH, _stackH.Pointer, N);
            if (Lstm)
            {
                if (pC != null) FromDecoderLayout(pC, _stackC.Pointer, N);
                else gradCn.Clear();
            }
        }
        var gradEmbedded = new Span<float>(_gradEmbedded.Ensure((long)S * N * E), S * N * E);
        _rnn.Backward(gradOutput, gradEmbedded, gradHn, gradCn);
        _embedding.Backward(_ids.AsSpan(0, S * N), gradEmbedded);
    }

    /// <summary>The source token index that encoder output step s of a sequence of valid length len reads.</summary>
    public int SourcePosition(int s, int len) => Config.ReverseSource ? len - 1 - s : s;

    /// <summary>ids (S, N) time-major: reverses the first lengths[n] ids of each column n; padding stays where it is.</summary>
    private static void ReverseValidTokens(int[] ids, int S, int N, ReadOnlySpan<int> lengths)
    {
        for (int n = 0; n < N; n++)
            for (int i = 0, j = lengths[n] - 1; i < j; i++, j--)
                (ids[i * N + n], ids[j * N + n]) = (ids[j * N + n], ids[i * N + n]);
    }

    /// <summary>stack (L*D, N, H) -> decoder (L, N, D*H): [l, n, d*H + i] = [l*D + d, n, i].</summary>
    private void ToDecoderLayout(float* stack, float* decoder, int N)
    {
        int L = Config.NumLayers, D = Config.Directions, H = Config.HiddenSize, W = D * H;
        for (int l = 0; l < L; l++)
            for (int d = 0; d < D; d++)
                Rows.Copy(stack + (long)(l * D + d) * N * H, H, decoder + (long)l * N * W + d * H, W, N, H);
    }

    private void FromDecoderLayout(float* decoder, float* stack, int N)
    {
        int L = Config.NumLayers, D = Config.Directions, H = Config.HiddenSize, W = D * H;
        for (int l = 0; l < L; l++)
            for (int d = 0; d < D; d++)
                Rows.Copy(decoder + (long)l * N * W + d * H, W, stack + (long)(l * D + d) * N * H, H, N, H);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _embedding.Dispose();
        _rnn.Dispose();
        foreach (Workspace w in new[] { _embedded, _output, _stackH, _stackC, _finalH, _finalC, _gradEmbedded }) w.Dispose();
    }
}
