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
        int[] ids = text.Select(c => Array.IndexOf(Vocabulary, c.ToString())).ToArray();
        Assert.DoesNotContain(-1, ids);
        double[] emb = T("embedding.weight"), headW = T("head.weight"), headB = T("head.bias");
        int H = _hidden, G = _cell == "LSTM" ? 4 : _cell == "GRU" ? 3 : 1;
        var wih = new double[_layers][]; var whh = new double[_layers][]; var bih = new double[_layers][]; var bhh = new double[_layers][];
        for (int l = 0; l < _layers; l++)
        {
            wih[l] = T($"rnn.weight_ih_l{l}"); whh[l] = T($"rnn.weight_hh_l{l}");
            bih[l] = T($"rnn.bias_ih_l{l}"); bhh[l] = T($"rnn.bias_hh_l{l}");
        }
        var h = new double[_layers][]; var c = new double[_layers][];
        for (int l = 0; l < _layers; l++) { h[l] = new double[H]; c[l] = new double[H]; }

        double nll = 0;
        for (int t = 0; t + 1 < ids.Length; t++)
        {
            double[] x = emb.AsSpan(ids[t] * _embedding, _embedding).ToArray();
            for (int l = 0; l < _layers; l++)
            {
                int I = x.Length;
                double[] gi = Affine(wih[l], bih[l], x, G * H, I), gh = Affine(whh[l], bhh[l], h[l], G * H, H);
                var next = new double[H];
                for (int j = 0; j < H; j++)
                {
                    switch (_cell)
                    {
                        case "LSTM":
                            double i = Sigmoid(gi[j] + gh[j]), f = Sigmoid(gi[H + j] + gh[H + j]);
                            double g = Math.Tanh(gi[2 * H + j] + gh[2 * H + j]), o = Sigmoid(gi[3 * H + j] + gh[3 * H + j]);
                            c[l][j] = f * c[l][j] + i * g;
                            next[j] = o * Math.Tanh(c[l][j]);
                            break;
                        case "GRU":
                            double r = Sigmoid(gi[j] + gh[j]), z = Sigmoid(gi[H + j] + gh[H + j]);
                            double n = Math.Tanh(gi[2 * H + j] + r * gh[2 * H + j]);
                            next[j] = (1 - z) * n + z * h[l][j];
                            break;
                        default: // RNN_TANH
                            next[j] = Math.Tanh(gi[j] + gh[j]);
                            break;
                    }
                }
                h[l] = next;
                x = next;
            }
            double[] logits = Affine(headW, headB, x, _vocabularySize, H);
            double max = logits.Max();
            double logSum = Math.Log(logits.Sum(z => Math.Exp(z - max))) + max;
            nll += logSum - logits[ids[t + 1]];
        }
        return Math.Exp(nll / (ids.Length - 1));
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
