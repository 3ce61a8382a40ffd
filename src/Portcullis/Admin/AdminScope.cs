namespace Portcullis.Admin;

/// <summary>
/// Endpoint metadata: the scope an admin route needs. Every admin route carries one, so a test can walk them all.
/// </summary>
/// <param name="Scope">The scope the calling key must hold.</param>
/// <param name="OrganisationOnly">When true, only organisation keys may call the route, whatever their scopes.</param>
internal sealed record AdminScope(string Scope, bool OrganisationOnly = false);
