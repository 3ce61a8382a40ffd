using Portcullis.Vault;

namespace Portcullis.Tests.Vault;

public sealed class EnvelopeSealerTests
{
    private readonly EnvelopeSealer _sealer = new(new MasterKeyRing([MasterKey.Generate(1)]));

    [Fact]
    public void Sealed_secret_opens_to_the_same_value()
    {
        SealedSecret sealedSecret = _sealer.Seal("row-1", SecretPurpose.ProviderKey, "ws", "sk-live-abcdef123456");

        Assert.Equal("sk-live-abcdef123456", _sealer.TryUnseal(sealedSecret)!.Reveal());
        Assert.Equal(EnvelopeSealer.FormatVersion, sealedSecret.Ciphertext[0]);
        Assert.Equal(EnvelopeSealer.FormatVersion, sealedSecret.WrappedDataKey[0]);
        Assert.Equal(1, sealedSecret.MasterKeyVersion);
    }

    [Fact]
    public void Each_secret_gets_its_own_data_key_and_nonce()
    {
        SealedSecret a = _sealer.Seal("row-1", SecretPurpose.ProviderKey, "ws", "same value");
        SealedSecret b = _sealer.Seal("row-1", SecretPurpose.ProviderKey, "ws", "same value");

        Assert.NotEqual(a.Ciphertext, b.Ciphertext);
        Assert.NotEqual(a.WrappedDataKey, b.WrappedDataKey);
    }

    [Fact]
    public void Tag_is_sixteen_bytes()
    {
        SealedSecret sealedSecret = _sealer.Seal("row-1", SecretPurpose.ProviderKey, "ws", "abc");

        // format byte + 12-byte nonce + 3 bytes of ciphertext + 16-byte tag
        Assert.Equal(1 + 12 + 3 + 16, sealedSecret.Ciphertext.Length);
        Assert.Equal(1 + 12 + 32 + 16, sealedSecret.WrappedDataKey.Length);
    }

    [Fact]
    public void Any_flipped_bit_in_either_blob_stops_it_from_opening()
    {
        SealedSecret original = _sealer.Seal("row-1", SecretPurpose.ProviderKey, "ws", "sk-live-abcdef123456");

        for (int i = 0; i < original.Ciphertext.Length; i++)
        {
            byte[] tampered = (byte[])original.Ciphertext.Clone();
            tampered[i] ^= 0x01;
            Assert.Null(_sealer.TryUnseal(original with { Ciphertext = tampered }));
        }

        for (int i = 0; i < original.WrappedDataKey.Length; i++)
        {
            byte[] tampered = (byte[])original.WrappedDataKey.Clone();
            tampered[i] ^= 0x80;
            Assert.Null(_sealer.TryUnseal(original with { WrappedDataKey = tampered }));
        }
    }

    [Fact]
    public void Truncated_blobs_do_not_open()
    {
        SealedSecret original = _sealer.Seal("row-1", SecretPurpose.ProviderKey, "ws", "sk-live-abcdef123456");

        Assert.Null(_sealer.TryUnseal(original with { Ciphertext = original.Ciphertext[..^1] }));
        Assert.Null(_sealer.TryUnseal(original with { WrappedDataKey = original.WrappedDataKey[..^16] }));
    }

    [Fact]
    public void Ciphertext_copied_to_another_record_purpose_or_workspace_does_not_open()
    {
        SealedSecret original = _sealer.Seal("row-1", SecretPurpose.ProviderKey, "ws", "sk-live-abcdef123456");

        Assert.Null(_sealer.TryUnseal(original with { Id = "row-2" }));
        Assert.Null(_sealer.TryUnseal(original with { Purpose = SecretPurpose.CustomHeaders }));
        Assert.Null(_sealer.TryUnseal(original with { WorkspaceId = "other" }));
    }

    [Fact]
    public void Blobs_swapped_between_two_records_do_not_open()
    {
        SealedSecret a = _sealer.Seal("row-a", SecretPurpose.ProviderKey, "ws", "secret-a-1234567890");
        SealedSecret b = _sealer.Seal("row-b", SecretPurpose.ProviderKey, "ws", "secret-b-1234567890");

        Assert.Null(_sealer.TryUnseal(a with { Ciphertext = b.Ciphertext, WrappedDataKey = b.WrappedDataKey }));
        Assert.Null(_sealer.TryUnseal(a with { Ciphertext = b.Ciphertext }));
        Assert.Null(_sealer.TryUnseal(a with { WrappedDataKey = b.WrappedDataKey }));
    }

    [Fact]
    public void A_different_master_key_does_not_open_the_secret()
    {
        SealedSecret sealedSecret = _sealer.Seal("row-1", SecretPurpose.ProviderKey, "ws", "sk-live-abcdef123456");
        var other = new EnvelopeSealer(new MasterKeyRing([MasterKey.Generate(1)]));

        Assert.Null(other.TryUnseal(sealedSecret));
    }

    [Fact]
    public void Rewrapped_secret_opens_under_the_new_version_and_keeps_its_ciphertext()
    {
        var ring = new MasterKeyRing([MasterKey.Generate(1)]);
        var sealer = new EnvelopeSealer(ring);
        SealedSecret before = sealer.Seal("row-1", SecretPurpose.ProviderKey, "ws", "sk-live-abcdef123456");

        ring.Add(MasterKey.Generate(2));
        SealedSecret after = sealer.TryRewrap(before)!;

        Assert.Equal(2, after.MasterKeyVersion);
        Assert.Equal(before.Ciphertext, after.Ciphertext);
        Assert.Equal("sk-live-abcdef123456", sealer.TryUnseal(after)!.Reveal());
        Assert.Null(sealer.TryUnseal(after with { MasterKeyVersion = 1 }));
    }

    [Fact]
    public void Secret_value_never_prints_or_serializes()
    {
        var secret = new SecretValue("sk-live-abcdef123456");

        Assert.DoesNotContain("abcdef", secret.ToString());
        Assert.Equal("****3456", secret.Mask());
        Assert.Throws<NotSupportedException>(() => System.Text.Json.JsonSerializer.Serialize(secret));
    }
}
