using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace StarSync.Web.Hosting;

/// <summary>
/// Turns a JSON body the API could not bind into a 400 that names the field and what the route expects: an unknown
/// field (request types refuse them), a wrong type, malformed JSON, or no body where one is required.
/// </summary>
internal static class RequestBodyProblem
{
    public const string Title = "The request body is not valid";

    /// <summary>A validation problem for <paramref name="exception"/>, or null when it is not about the JSON body.</summary>
    public static ValidationProblemDetails? Describe(Endpoint? endpoint, BadHttpRequestException exception, JsonSerializerOptions options)
    {
        var bodyType = endpoint?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
        if (bodyType is null || exception.StatusCode != StatusCodes.Status400BadRequest)
        {
            return null;
        }

        var fields = options.GetTypeInfo(bodyType).Properties.Select(p => p.Name).ToArray();
        var expected = $"Send a JSON object with the fields {string.Join(", ", fields)} (all optional unless the route says otherwise).";
        var (field, message) = exception.InnerException switch
        {
            JsonException { Path: { } path } json when IsUnknownField(json) =>
                (FieldOf(path), $"'{FieldOf(path)}' is not a field of this request. {expected}"),
            JsonException { Path: { Length: > 1 } path } json when IsWrongType(json) =>
                (FieldOf(path), $"'{FieldOf(path)}' has the wrong type or value. {expected}"),
            JsonException => ("body", $"The body is not valid JSON. {expected}"),
            // The only other failure binding a JSON body: none was sent (or it was JSON null).
            _ => ("body", $"This request needs a JSON body. {expected}"),
        };
        return new ValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = Title,
        };
    }

    // System.Text.Json reports JsonUnmappedMemberHandling.Disallow and type mismatches with the property's path and
    // these wordings; anything else (a truncated or malformed document) is named as invalid JSON, still a 400.
    private static bool IsUnknownField(JsonException exception) =>
        exception.Message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal);

    private static bool IsWrongType(JsonException exception) =>
        exception.Message.Contains("could not be converted", StringComparison.Ordinal);

    /// <summary>"$.count" -> "count", "$.libraries[0]" -> "libraries[0]", "$['dry run']" -> "dry run".</summary>
    private static string FieldOf(string path)
    {
        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return field.StartsWith("['", StringComparison.Ordinal) && field.EndsWith("']", StringComparison.Ordinal) ? field[2..^2] : field;
    }
}
