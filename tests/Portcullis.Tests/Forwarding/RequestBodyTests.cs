using System.Text;
using Portcullis.Forwarding;
using Portcullis.Usage;

namespace Portcullis.Tests.Forwarding;

public sealed class RequestBodyTests
{
    [Theory]
    [InlineData("@prod/gpt-4o", true, "prod", "gpt-4o")]
    [InlineData("@bedrock-us/anthropic.claude-3/v1", true, "bedrock-us", "anthropic.claude-3/v1")]
    [InlineData("@cf/meta/llama-3", false, "", "")]
    [InlineData("@hf/thebloke/x", false, "", "")]
    [InlineData("gpt-4o", false, "", "")]
    [InlineData("@noslash", false, "", "")]
    [InlineData("@/model", false, "", "")]
    public void Catalog_model_syntax_is_split_at_the_first_slash(string value, bool matches, string slug, string model)
    {
        bool result = TargetResolver.TrySplitCatalogModel(value, out string s, out string m);

        Assert.Equal(matches, result);
        Assert.Equal(slug, s);
        Assert.Equal(model, m);
    }

    [Fact]
    public void Stream_options_are_added_when_a_stream_does_not_ask_for_usage()
    {
        byte[] body = """{"model":"@k/m","stream":true,"messages":[]}"""u8.ToArray();
        RequestBodyFacts facts = RequestBodyInspector.Inspect(body, out _)!.Value;

        string sent = Send(UpstreamBodyBuilder.Build(body, facts, "m", requestUsage: true));

        Assert.Equal("""{"stream_options":{"include_usage":true},"model":"m","stream":true,"messages":[]}""", sent);
    }

    [Fact]
    public void Existing_stream_options_keep_their_other_fields()
    {
        byte[] body = """{"model":"m","stream":true,"stream_options":{"include_obfuscation":false},"messages":[]}"""u8.ToArray();
        RequestBodyFacts facts = RequestBodyInspector.Inspect(body, out _)!.Value;

        string sent = Send(UpstreamBodyBuilder.Build(body, facts, null, requestUsage: true));

        Assert.Equal("""{"model":"m","stream":true,"stream_options":{"include_obfuscation":false,"include_usage":true},"messages":[]}""", sent);
    }

    [Fact]
    public void Body_without_changes_is_forwarded_byte_for_byte()
    {
        byte[] body = Encoding.UTF8.GetBytes("{ \"model\" : \"gpt-4o\",\n \"messages\":[{\"role\":\"user\",\"content\":\"\\u00e9 ü\"}] }");
        RequestBodyFacts facts = RequestBodyInspector.Inspect(body, out _)!.Value;

        Assert.Equal(body, Encoding.UTF8.GetBytes(Send(UpstreamBodyBuilder.Build(body, facts, null, requestUsage: false))));
    }

    [Fact]
    public void Escaped_model_names_are_read_and_rewritten_correctly()
    {
        byte[] body = """{"model":"@k\/org\/m\u00e9","messages":[]}"""u8.ToArray();
        RequestBodyFacts facts = RequestBodyInspector.Inspect(body, out _)!.Value;
        Assert.True(TargetResolver.TrySplitCatalogModel(facts.Model, out _, out string model));

        string sent = Send(UpstreamBodyBuilder.Build(body, facts, model, requestUsage: false));

        Assert.Equal("@k/org/mé", facts.Model);
        Assert.Equal("org/mé", System.Text.Json.JsonDocument.Parse(sent).RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public void Usage_is_read_from_the_top_level_only()
    {
        byte[] json = """{"choices":[{"message":{"usage":{"prompt_tokens":1}}}],"usage":{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":2}}}"""u8.ToArray();

        Assert.True(UsageReader.TryRead(json, out TokenUsage usage, out bool usageOnly));
        Assert.Equal(new TokenUsage(10, 5, 15, CachedPromptTokens: 2), usage);
        Assert.False(usageOnly);
    }

    private static string Send(HttpContent content) => content.ReadAsStringAsync().GetAwaiter().GetResult();
}
