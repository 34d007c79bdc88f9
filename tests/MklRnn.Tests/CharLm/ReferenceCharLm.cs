using System.Text.Json;
using MklRnn.CharLm;
using MklRnn.IO;

namespace MklRnn.Tests.CharLm;

/// <summary>
/// An independent, straightforward double-precision character LM read from a mklrnn.charlm.v1 file: embedding
/// lookup, PyTorch's LSTM / GRU / RNN_TANH equations step by step, linear head, log-softmax. It shares no
/// code with the engine besides the safetensors reader.
/// </summary>
internal sealed class ReferenceCharLm
{
    private readonly SafeTensorsFile _file;
    private readonly string _cell;
    private readonly int _layers, _hidden, _embedding, _vocabularySize;

    public ReferenceCharLm(string path)
    {
        _file = SafeTensorsFile.Read(path);
        _cell = _file.Metadata["cell"];
        _layers = int.Parse(_file.Metadata["num_layers"]);
        _hidden = int.Parse(_file.Metadata["hidden_size"]);
        _embedding = int.Parse(_file.Metadata["embedding_size"]);
        Vocabulary = JsonSerializer.Deserialize<string[]>(_file.Metadata["vocab"])!;
        _vocabularySize = Vocabulary.Length;
    }

    public string[] Vocabulary { get; }

    private double[] T(string name) => _file.ReadFloat32(name).Select(v => (double)v).ToArray();

    /// <summary>exp(mean over t = 1..len-1 of -log p(c_t | c_&lt;t)), from a zero state.</summary>
    public double Perplexity(string text)
    {
        int[] ids = Ids(text);
        var run = new Run(this);
        double nll = 0;
        for (int t = 0; t + 1 < ids.Length; t++)
        {
            double[] logits = run.Feed(ids[t]);
            double max = logits.Max();
            double logSum = Math.Log(logits.Sum(z => Math.Exp(z - max))) + max;
            nll += logSum - logits[ids[t + 1]];
        }
        return Math.Exp(nll / (ids.Length - 1));
    }

    /// <summary>The prompt and <paramref name="length"/> characters, each the most likely one (the first on ties), fed back.</summary>
    public string Greedy(string prompt, int length)
    {
        var run = new Run(this);
        double[] logits = [];
        foreach (int id in Ids(prompt)) logits = run.Feed(id);
        var output = new System.Text.StringBuilder(prompt);
        for (int i = 0; i < length; i++)
        {
            int next = Array.IndexOf(logits, logits.Max());
            output.Append(Vocabulary[next]);
            logits = run.Feed(next);
        }
        return output.ToString();
    }

    private int[] Ids(string text)
    {
        int[] ids = text.Select(c => Array.IndexOf(Vocabulary, c.ToString())).ToArray();
        Assert.DoesNotContain(-1, ids);
        return ids;
    }

    /// <summary>One stream through the model from a zero state: Feed(id) returns the logits of the next character.</summary>
    private sealed class Run
    {
        private readonly ReferenceCharLm _m;
        private readonly double[] _emb, _headW, _headB;
        private readonly double[][] _wih, _whh, _bih, _bhh, _h, _c;

        public Run(ReferenceCharLm m)
        {
            _m = m;
            _emb = m.T("embedding.weight"); _headW = m.T("head.weight"); _headB = m.T("head.bias");
            int L = m._layers;
            _wih = new double[L][]; _whh = new double[L][]; _bih = new double[L][]; _bhh = new double[L][];
            _h = new double[L][]; _c = new double[L][];
            for (int l = 0; l < L; l++)
            {
                _wih[l] = m.T($"rnn.weight_ih_l{l}"); _whh[l] = m.T($"rnn.weight_hh_l{l}");
                _bih[l] = m.T($"rnn.bias_ih_l{l}"); _bhh[l] = m.T($"rnn.bias_hh_l{l}");
                _h[l] = new double[m._hidden]; _c[l] = new double[m._hidden];
            }
        }

        public double[] Feed(int id)
        {
            int H = _m._hidden, G = _m._cell == "LSTM" ? 4 : _m._cell == "GRU" ? 3 : 1;
            double[] x = _emb.AsSpan(id * _m._embedding, _m._embedding).ToArray();
            for (int l = 0; l < _m._layers; l++)
            {
                int I = x.Length;
                double[] gi = Affine(_wih[l], _bih[l], x, G * H, I), gh = Affine(_whh[l], _bhh[l], _h[l], G * H, H);
                var next = new double[H];
                for (int j = 0; j < H; j++)
                {
                    switch (_m._cell)
                    {
                        case "LSTM":
                            double i = Sigmoid(gi[j] + gh[j]), f = Sigmoid(gi[H + j] + gh[H + j]);
                            double g = Math.Tanh(gi[2 * H + j] + gh[2 * H + j]), o = Sigmoid(gi[3 * H + j] + gh[3 * H + j]);
                            _c[l][j] = f * _c[l][j] + i * g;
                            next[j] = o * Math.Tanh(_c[l][j]);
                            break;
                        case "GRU":
                            double r = Sigmoid(gi[j] + gh[j]), z = Sigmoid(gi[H + j] + gh[H + j]);
                            double n = Math.Tanh(gi[2 * H + j] + r * gh[2 * H + j]);
                            next[j] = (1 - z) * n + z * _h[l][j];
                            break;
                        default: // RNN_TANH
                            next[j] = Math.Tanh(gi[j] + gh[j]);
                            break;
                    }
                }
                _h[l] = next;
                x = next;
            }
            return Affine(_headW, _headB, x, _m._vocabularySize, H);
        }
    }

    private static double[] Affine(double[] w, double[] b, double[] x, int rows, int cols)
    {
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double s = b[r];
            for (int k = 0; k < cols; k++) s += w[r * cols + k] * x[k];
            y[r] = s;
        }
        return y;
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
}
