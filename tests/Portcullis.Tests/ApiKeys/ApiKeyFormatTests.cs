using Portcullis.ApiKeys;

namespace Portcullis.Tests.ApiKeys;

/// <summary>The key format: recognisable prefix, public id, a secret of at least 128 bits, and a checksum.</summary>
public sealed class ApiKeyFormatTests
{
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    [Fact]
    public void A_new_key_has_the_prefix_the_public_id_and_parses_back_to_that_id()
    {
        string publicId = ApiKeyFormat.NewPublicId();

        string key = ApiKeyFormat.NewKey(publicId);

        Assert.Matches("^pcl_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}$", key);
        Assert.Equal(ApiKeyFormat.Length, key.Length);
        Assert.True(ApiKeyFormat.TryParse(key, out string parsed));
        Assert.Equal(publicId, parsed);
        Assert.StartsWith($"pcl_{publicId}_", key, StringComparison.Ordinal);
    }

    [Fact]
    public void The_secret_carries_at_least_128_random_bits_and_differs_every_time()
    {
        double bits = ApiKeyFormat.SecretLength * Math.Log2(62);
        string publicId = ApiKeyFormat.NewPublicId();
        HashSet<string> keys = [.. Enumerable.Range(0, 1000).Select(_ => ApiKeyFormat.NewKey(publicId))];
        HashSet<string> ids = [.. Enumerable.Range(0, 1000).Select(_ => ApiKeyFormat.NewPublicId())];

        Assert.True(bits >= 128, $"{bits} bits");
        Assert.Equal(1000, keys.Count);
        Assert.Equal(1000, ids.Count);
    }

    [Fact]
    public void Changing_any_single_character_of_a_key_is_caught_by_the_structure_or_the_checksum()
    {
        string key = ApiKeyFormat.NewKey(ApiKeyFormat.NewPublicId());

        for (int i = 0; i < key.Length; i++)
        {
            char replacement = Base62[(Base62.IndexOf(key[i], StringComparison.Ordinal) + 1 + i) % Base62.Length];
            string changed = string.Concat(key.AsSpan(0, i), replacement.ToString(), key.AsSpan(i + 1));

            Assert.False(ApiKeyFormat.TryParse(changed, out _), $"changed at {i}: {changed}");
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("pcl-test-admin-key-0123456789abcdef")]
    [InlineData("pcl-0123456789ABCDEFGHIJabcdefghij0123456789")]
    [InlineData("sk-proj-0123456789abcdef0123456789abcdef0123456789abcdef01")]
    [InlineData("pcl_0123456789ABCDEF-0123456789abcdef0123456789abcdef012345")]
    [InlineData("pcl_0123456789ABCDE!_0123456789abcdef0123456789abcdef012345")]
    public void Strings_of_another_shape_are_not_keys_of_this_format(string text)
    {
        Assert.False(ApiKeyFormat.TryParse(text, out string publicId));
        Assert.Equal("", publicId);
    }

    [Fact]
    public void The_mask_shows_the_public_id_and_four_characters_but_never_the_secret()
    {
        string publicId = ApiKeyFormat.NewPublicId();
        string key = ApiKeyFormat.NewKey(publicId);
        string secret = key.Substring(4 + ApiKeyFormat.PublicIdLength + 1, ApiKeyFormat.SecretLength);

        string mask = ApiKeyFormat.MaskOf(key);

        Assert.Equal($"pcl_{publicId}_****{key[^4..]}", mask);
        Assert.DoesNotContain(secret, mask, StringComparison.Ordinal);
        Assert.DoesNotContain(secret[..8], mask, StringComparison.Ordinal);
    }
}
