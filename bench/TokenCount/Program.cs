using System.Diagnostics;
using System.Text;
using Portcullis.Usage.Tokens;

// Times PromptTokenCounter.Count on a chat body of about 1 KB (and one with a tool), and the estimate of a
// 500-chunk stream, on one thread after warm-up. Prints Markdown.
const int Iterations = 20_000;

string chat = """
    {"model":"gpt-4o","stream":true,"max_tokens":512,"messages":[
    {"role":"system","content":"You are a careful assistant for a travel agency. Answer briefly, name prices in euros, and ask one question when the request is unclear."},
    {"role":"user","content":"We are two adults and a child of seven, flying from Lyon to Lisbon in the second week of April. What should we budget for four nights in a family room near the old town, and which days are museums free?"},
    {"role":"assistant","content":"For four nights in April, a family room near Alfama or Baixa costs about 110 to 160 euros a night, so plan 450 to 650 euros. Many municipal museums are free on Sunday mornings for residents only; for visitors, the Lisboa Card covers most entries. Do you want a hotel or an apartment?"},
    {"role":"user","content":"An apartment, with a kitchen, and close to a tram stop if possible. We land at eleven in the morning and leave on the Saturday evening, so a late check-out would help."}]}
    """;
string withTool = chat.Replace("\"messages\":[", """
    "tools":[{"type":"function","function":{"name":"search_apartments","description":"Find apartments by city and dates",
    "parameters":{"type":"object","properties":{"city":{"type":"string","description":"City name"},
    "nights":{"type":"integer","description":"Number of nights"}},"required":["city"]}}}],"messages":[
    """, StringComparison.Ordinal);

var load = Stopwatch.StartNew();
_ = TokenCounter.CountText(TokenEncoding.O200kBase, "warm up");
Console.WriteLine($"First use (o200k_base load): {load.Elapsed.TotalMilliseconds:0} ms");
Console.WriteLine();
Console.WriteLine("| Work | Bytes | Tokens | Mean per call | Allocated per call |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
Measure("PromptTokenCounter.Count, chat", Encoding.UTF8.GetBytes(chat));
Measure("PromptTokenCounter.Count, chat with a tool", Encoding.UTF8.GetBytes(withTool));
MeasureCapture();

static void Measure(string name, byte[] body)
{
    int tokens = 0;
    for (int i = 0; i < 2_000; i++)
    {
        tokens = PromptTokenCounter.Count("chat/completions", "gpt-4o", body);
    }

    long allocated = GC.GetAllocatedBytesForCurrentThread();
    var clock = Stopwatch.StartNew();
    for (int i = 0; i < Iterations; i++)
    {
        tokens = PromptTokenCounter.Count("chat/completions", "gpt-4o", body);
    }

    clock.Stop();
    long perCall = (GC.GetAllocatedBytesForCurrentThread() - allocated) / Iterations;
    Console.WriteLine(
        $"| {name} | {body.Length} | {tokens} | {clock.Elapsed.TotalMicroseconds / Iterations:0.0} µs | {perCall} B |");
}

static void MeasureCapture()
{
    byte[][] chunks = Enumerable.Range(0, 500)
        .Select(i => Encoding.UTF8.GetBytes(
            $$"""{"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":" word{{i % 50}}"},"finish_reason":null}]}"""))
        .ToArray();
    long bytes = chunks.Sum(c => (long)c.Length);

    var append = Stopwatch.StartNew();
    for (int i = 0; i < 200; i++)
    {
        using var capture = new OutputCapture();
        foreach (byte[] chunk in chunks)
        {
            capture.AppendEvent(chunk);
        }
    }

    append.Stop();
    using var full = new OutputCapture();
    foreach (byte[] chunk in chunks)
    {
        full.AppendEvent(chunk);
    }

    int tokens = 0;
    var estimate = Stopwatch.StartNew();
    for (int i = 0; i < 200; i++)
    {
        tokens = full.EstimateCompletionTokens("gpt-4o");
    }

    estimate.Stop();
    Console.WriteLine($"| OutputCapture.AppendEvent, 500 chunks | {bytes} | | {append.Elapsed.TotalMicroseconds / 200:0} µs | |");
    Console.WriteLine(
        $"| OutputCapture.EstimateCompletionTokens, 500 chunks | {bytes} | {tokens} | {estimate.Elapsed.TotalMicroseconds / 200:0} µs | |");
}
