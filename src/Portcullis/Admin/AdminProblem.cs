namespace Portcullis.Admin;

/// <summary>
/// A refusal of an admin request: the status, Portkey's admin error code (AB01 validation, AB03 forbidden, AB05
/// unauthorized, AB07 conflict, AB08 not found) and a message that names what to change. Admin paths are not hot, so
/// they report refusals by throwing this; the endpoint filter turns it into JSON.
/// </summary>
internal sealed class AdminProblem(int status, string code, string message) : Exception(message)
{
    public int Status => status;

    public string Code => code;

    public static AdminProblem Validation(string message) => new(400, "AB01", message);

    public static AdminProblem NotFound(string what) => new(404, "AB08", $"{what} was not found.");

    public static AdminProblem Conflict(string message) => new(409, "AB07", message);
}
