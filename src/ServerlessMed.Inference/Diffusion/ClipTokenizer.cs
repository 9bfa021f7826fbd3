using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace ServerlessMed.Inference.Diffusion;

/// <summary>CLIP's BPE tokenizer from a diffusers tokenizer/ folder (vocab.json, merges.txt), on
/// Microsoft.ML.Tokenizers: lower-cased, CLIP's pre-tokenizing pattern, byte-level symbols with the "&lt;/w&gt;"
/// end-of-word suffix; ids framed by start/end tokens, truncated and padded to the model's length (77).</summary>
public sealed class ClipTokenizer
{
    // CLIP's pattern (openai/CLIP simple_tokenizer.py), with \p{L} and \p{N} classes.
    private const string Pattern = @"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+";

    private readonly BpeTokenizer _bpe;
    private readonly Dictionary<int, string> _idToToken;

    public ClipTokenizer(string folder)
    {
        var vocabPath = Path.Combine(folder, "vocab.json");
        var mergesPath = Path.Combine(folder, "merges.txt");
        if (!File.Exists(vocabPath) || !File.Exists(mergesPath))
        {
            throw new FileNotFoundException($"tokenizer folder '{folder}' needs vocab.json and merges.txt");
        }

        var config = ReadConfig(folder);
        MaxLength = config.MaxLength;
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabPath))!;
        _idToToken = vocab.ToDictionary(kv => kv.Value, kv => kv.Key);
        BosId = vocab[config.Bos];
        EosId = vocab[config.Eos];
        PadId = vocab.TryGetValue(config.Pad, out var pad) ? pad : EosId;
        var specials = new Dictionary<string, int> { [config.Bos] = BosId, [config.Eos] = EosId };
        var options = new BpeOptions(vocabPath, mergesPath)
        {
            PreTokenizer = new RegexPreTokenizer(new Regex(Pattern, RegexOptions.Compiled | RegexOptions.IgnoreCase), specials),
            Normalizer = new LowerCaseNormalizer(),
            EndOfWordSuffix = "</w>",
            ByteLevel = true,
            UnknownToken = config.Eos,
        };
        _bpe = BpeTokenizer.Create(options);
    }

    public int MaxLength { get; }

    public int BosId { get; }

    public int EosId { get; }

    public int PadId { get; }

    /// <summary>[BOS] tokens… [EOS] then padding, exactly <see cref="MaxLength"/> ids.</summary>
    public int[] Encode(string text)
    {
        var ids = _bpe.EncodeToIds(Regex.Replace(text.Trim(), @"\s+", " "));
        var result = new int[MaxLength];
        Array.Fill(result, PadId);
        result[0] = BosId;
        var n = Math.Min(ids.Count, MaxLength - 2);
        for (var i = 0; i < n; i++)
        {
            result[i + 1] = ids[i];
        }

        result[n + 1] = EosId;
        return result;
    }

    /// <summary>CLIP's decode: tokens joined, "&lt;/w&gt;" read as a word boundary, byte-level symbols back to UTF-8.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var text = string.Concat(ids.Where(i => i != BosId && i != EosId && i != PadId).Select(i => _idToToken.GetValueOrDefault(i, string.Empty)));
        var bytes = new List<byte>(text.Length);
        foreach (var ch in text.Replace("</w>", " ", StringComparison.Ordinal))
        {
            if (ByteDecoder.Value.TryGetValue(ch, out var b))
            {
                bytes.Add(b);
            }
            else
            {
                bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(ch.ToString()));
            }
        }

        return System.Text.Encoding.UTF8.GetString([.. bytes]).Trim();
    }

    /// <summary>The inverse of GPT-2/CLIP's bytes_to_unicode: printable stand-ins back to the bytes they encode.</summary>
    private static readonly Lazy<Dictionary<char, byte>> ByteDecoder = new(() =>
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToList();
        var map = new Dictionary<char, byte>();
        var extra = 0;
        for (var b = 0; b < 256; b++)
        {
            map[printable.Contains(b) ? (char)b : (char)(256 + extra++)] = (byte)b;
        }

        return map;
    });

    private static (int MaxLength, string Bos, string Eos, string Pad) ReadConfig(string folder)
    {
        var path = Path.Combine(folder, "tokenizer_config.json");
        int max = 77;
        string bos = "<|startoftext|>", eos = "<|endoftext|>", pad = "<|endoftext|>";
        if (File.Exists(path))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var r = doc.RootElement;
            if (r.TryGetProperty("model_max_length", out var m) && m.TryGetInt32(out var mi) && mi is > 2 and <= 4096)
            {
                max = mi;
            }

            bos = TokenText(r, "bos_token") ?? bos;
            eos = TokenText(r, "eos_token") ?? eos;
            pad = TokenText(r, "pad_token") ?? pad;
        }

        return (max, bos, eos, pad);
    }

    /// <summary>tokenizer_config.json writes special tokens as strings or as {"content": ...} objects.</summary>
    private static string? TokenText(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var v) ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString()
        : v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) ? c.GetString() : null;
}
