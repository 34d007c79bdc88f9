using MklRnn.IO;
using MklRnn.Layers;
using MklRnn.Onnx;

namespace MklRnn.Cli.Run;

/// <summary>
/// Offline inference over a file of sequences: sequences sorted by length (longest first) and run in chunks
/// of at most `chunk` sequences, each chunk only as long as its longest sequence, so the engine's work
/// memory is bounded by the chunk (the input and output tensors themselves are held whole).
/// Tensors: input (T, N, I) or batch-first (N, T, I); optional lengths (N), h0 and c0 (layers * D, N, H);
/// results output (T, N, D*H) or (N, T, D*H), h_n and for LSTM c_n (layers * D, N, H), as PyTorch shapes them.
/// </summary>
internal sealed class ChunkedInference
{
    private readonly OnnxRecurrentModel _model; // its stack time-major
    private RecurrentStack Stack => _model.Stack;
    private readonly bool _batchFirst;
    private readonly int _T, _N, _I, _S, _H, _width;
    private readonly float[] _input;
    private readonly int[] _lengths;
    private readonly float[]? _h0, _c0;

    public ChunkedInference(OnnxRecurrentModel timeMajor, SafeTensorsFile file, bool batchFirst)
    {
        _model = timeMajor;
        _batchFirst = batchFirst;
        RnnConfig c = timeMajor.Stack.Config;
        if (!file.Contains("input")) throw new InvalidDataException($"{file.SourceName}: tensor 'input' is missing (expected {Layout("I")})");
        var shape = file["input"].Shape;
        if (shape.Length != 3 || shape[2] != c.InputSize || shape[0] < 1 || shape[1] < 1)
            throw new InvalidDataException($"{file.SourceName}: tensor 'input' has shape {file["input"].ShapeText}, expected {Layout(c.InputSize.ToString())} with I = {c.InputSize}");
        (_T, _N) = batchFirst ? (shape[1], shape[0]) : (shape[0], shape[1]);
        _I = c.InputSize;
        _S = c.NumLayers * c.Directions;
        _H = c.HiddenSize;
        _width = c.OutputSize;
        _input = file.ReadFloat32("input");
        _lengths = file.Contains("lengths") ? ReadLengths(file) : Enumerable.Repeat(_T, _N).ToArray();
        _h0 = ReadState(file, "h0");
        _c0 = ReadState(file, "c0");
        if (_c0 != null && c.Cell != CellKind.Lstm) throw new InvalidDataException($"{file.SourceName}: tensor 'c0' is for LSTM only; the model is {c.ModeName}");
    }

    public float[] Output { get; private set; } = [];
    public float[] HN { get; private set; } = [];
    public float[] CN { get; private set; } = [];
    public int[] OutputShape => _batchFirst ? [_N, _T, _width] : [_T, _N, _width];
    public int[] StateShape => [_S, _N, _H];
    public int SequenceCount => _N;

    private string Layout(string i) => _batchFirst ? $"(N, T, {i})" : $"(T, N, {i})";

    private int[] ReadLengths(SafeTensorsFile file)
    {
        int[] lengths = file["lengths"].Shape.Length == 1 && file["lengths"].Shape[0] == _N ? file.ReadInt32Checked("lengths")
            : throw new InvalidDataException($"{file.SourceName}: tensor 'lengths' has shape {file["lengths"].ShapeText}, expected ({_N}) (int64 or int32)");
        for (int b = 0; b < _N; b++)
            if (lengths[b] < 1 || lengths[b] > _T)
                throw new InvalidDataException($"{file.SourceName}: tensor 'lengths'[{b}] = {lengths[b]}, expected 1..{_T}");
        return lengths;
    }

    private float[]? ReadState(SafeTensorsFile file, string name)
    {
        if (!file.Contains(name)) return null;
        var values = new float[_S * _N * _H];
        try
        {
            file.ReadFloat32(name, values, [_S, _N, _H]);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{e.Message} ((layers * directions, N, hidden))", e);
        }
        return values;
    }

    /// <summary>Runs every chunk; progress(done, total) after each.</summary>
    public void Run(int chunk, Action<int, int>? progress = null)
    {
        if (chunk < 1) throw new InvalidDataException($"--batch {chunk}: expected >= 1");
        bool lstm = Stack.Config.Cell == CellKind.Lstm;
        Output = new float[_T * _N * _width];
        HN = new float[_S * _N * _H];
        CN = lstm ? new float[_S * _N * _H] : [];
        int[] order = Enumerable.Range(0, _N).OrderByDescending(b => _lengths[b]).ThenBy(b => b).ToArray();
        int chunks = (_N + chunk - 1) / chunk;
        for (int k = 0; k < chunks; k++)
        {
            int[] ids = order[(k * chunk)..Math.Min(_N, (k + 1) * chunk)];
            RunChunk(ids, lstm);
            progress?.Invoke(k + 1, chunks);
        }
    }

    private void RunChunk(int[] ids, bool lstm)
    {
        int n = ids.Length, T = _lengths[ids[0]];
        var x = new float[T * n * _I];
        for (int t = 0; t < T; t++)
            for (int j = 0; j < n; j++)
                _input.AsSpan(InputRow(t, ids[j]) * _I, _I).CopyTo(x.AsSpan((t * n + j) * _I, _I));
        int[] lengths = ids.Select(b => _lengths[b]).ToArray();
        var y = new float[T * n * _width];
        var hN = new float[_S * n * _H];
        var cN = lstm ? new float[_S * n * _H] : [];
        float[] h0 = _h0 != null ? SelectStates(_h0, ids) : [], c0 = _c0 != null ? SelectStates(_c0, ids) : [];
        _model.Forward(x, T, n, y, h0, c0, hN, cN, lengths.All(l => l == T) ? default : lengths);
        for (int t = 0; t < T; t++)
            for (int j = 0; j < n; j++)
                y.AsSpan((t * n + j) * _width, _width).CopyTo(Output.AsSpan(OutputRow(t, ids[j]) * _width, _width));
        ScatterStates(hN, ids, HN);
        if (lstm) ScatterStates(cN, ids, CN);
    }

    private int InputRow(int t, int b) => _batchFirst ? b * _T + t : t * _N + b; // row counts fit: the tensor is one array

    private int OutputRow(int t, int b) => InputRow(t, b);

    private float[] SelectStates(float[] states, int[] ids)
    {
        var result = new float[_S * ids.Length * _H];
        for (int s = 0; s < _S; s++)
            for (int j = 0; j < ids.Length; j++)
                states.AsSpan((s * _N + ids[j]) * _H, _H).CopyTo(result.AsSpan((s * ids.Length + j) * _H, _H));
        return result;
    }

    private void ScatterStates(float[] chunkStates, int[] ids, float[] states)
    {
        for (int s = 0; s < _S; s++)
            for (int j = 0; j < ids.Length; j++)
                chunkStates.AsSpan((s * ids.Length + j) * _H, _H).CopyTo(states.AsSpan((s * _N + ids[j]) * _H, _H));
    }

    /// <summary>output, h_n and (LSTM) c_n, written atomically.</summary>
    public void Save(string path)
    {
        var writer = new SafeTensorsWriter();
        writer.Add("output", OutputShape, Output);
        writer.Add("h_n", StateShape, HN);
        if (CN.Length > 0) writer.Add("c_n", StateShape, CN);
        writer.Save(path);
    }
}
