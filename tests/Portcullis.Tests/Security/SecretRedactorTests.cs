using Portcullis.Forwarding;

namespace Portcullis.Tests.Security;

public sealed class SecretRedactorTests
{
    [Theory]
    [InlineData("sk-ant-api03-abc+def<g>", "sk-ant-api03-abc\\u002Bdef\\u003Cg\\u003E")]
    [InlineData("Basic dXNlcjpzM2NyZXQrcGFzcw+x", "Basic dXNlcjpzM2NyZXQrcGFzcw\\u002Bx")]
    [InlineData("key\"with\\quote-0123456789", "key\\u0022with\\\\quote-0123456789")]
    [InlineData("key\"with\\quote-0123456789", "key\\\"with\\\\quote-0123456789")]
    public void A_secret_written_again_as_escaped_json_is_masked_too(string secret, string escaped)
    {
        SecretRedactor redactor = SecretRedactor.For(secret, null);

        string answer = redactor.Redact("{\"error\":{\"message\":\"bad key " + escaped + "\"}}");

        Assert.DoesNotContain(escaped, answer, StringComparison.Ordinal);
        Assert.Contains(escaped, redactor.Secrets);
    }
}
