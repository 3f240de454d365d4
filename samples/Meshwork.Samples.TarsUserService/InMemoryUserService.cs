using System.Globalization;
using Meshwork.Tars;
using UserService;

namespace Meshwork.Samples.TarsUserService;

/// <summary>
/// The user service over an in-memory store: ids are assigned from 1, queries filter by id, name and e-mail substring
/// and page through the matches in id order. Thread-safe: one lock guards the store.
/// </summary>
public sealed class InMemoryUserService : IUserService
{
    /// <summary>The page size a query gets when it asks for none.</summary>
    public const int DefaultPageSize = 10;

    /// <summary>The largest page a query may ask for; larger sizes are clamped (bounds the reply).</summary>
    public const int MaxPageSize = 100;

    /// <summary>The most ids one batchGetUsers call may ask for (bounds the reply).</summary>
    public const int MaxBatch = 1000;

    private readonly SortedDictionary<int, UserInfo> _users = [];
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private int _nextId = 1;

    /// <summary>Creates an empty store.</summary>
    /// <param name="time">The clock for <c>createTime</c>; the system clock when omitted.</param>
    public InMemoryUserService(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <inheritdoc/>
    public ValueTask<IUserService.CreateUserResult> CreateUserAsync(UserInfo userInfo, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(userInfo.UserName) || string.IsNullOrWhiteSpace(userInfo.Email))
            return ValueTask.FromResult(new IUserService.CreateUserResult(UserErrors.InvalidArgument, new UserInfo()));
        lock (_lock)
        {
            var stored = Copy(userInfo);
            stored.UserId = _nextId++;
            stored.CreateTime = _time.GetUtcNow().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            _users[stored.UserId] = stored;
            return ValueTask.FromResult(new IUserService.CreateUserResult(0, Copy(stored)));
        }
    }

    /// <inheritdoc/>
    public ValueTask<UserInfo> GetUserAsync(int userId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_users.TryGetValue(userId, out var user)) return ValueTask.FromResult(Copy(user));
        }
        throw new TarsException(UserErrors.NotFound, "user " + userId + " not found");
    }

    /// <inheritdoc/>
    public ValueTask<IUserService.UpdateUserResult> UpdateUserAsync(UserInfo userInfo, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_users.TryGetValue(userInfo.UserId, out var existing))
                return ValueTask.FromResult(new IUserService.UpdateUserResult(UserErrors.NotFound, new UserInfo()));
            // Like the brief's service: only the fields the caller set replace the stored ones; metadata is merged.
            if (userInfo.UserName.Length > 0) existing.UserName = userInfo.UserName;
            if (userInfo.Email.Length > 0) existing.Email = userInfo.Email;
            if (userInfo.Age != 0) existing.Age = userInfo.Age;
            if (userInfo.Tags.Count > 0) existing.Tags = [.. userInfo.Tags];
            foreach (var (key, value) in userInfo.Metadata) existing.Metadata[key] = value;
            return ValueTask.FromResult(new IUserService.UpdateUserResult(0, Copy(existing)));
        }
    }

    /// <inheritdoc/>
    public ValueTask<int> DeleteUserAsync(int userId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_users.Remove(userId) ? 0 : UserErrors.NotFound);
        }
    }

    /// <inheritdoc/>
    public ValueTask<UserPage> QueryUsersAsync(UserQuery query, CancellationToken cancellationToken = default)
    {
        if (query.Page < 0 || query.PageSize < 0) throw new TarsException(UserErrors.InvalidArgument, "page and pageSize must not be negative");
        var page = Math.Max(1, query.Page);
        var pageSize = query.PageSize == 0 ? DefaultPageSize : Math.Min(query.PageSize, MaxPageSize);
        lock (_lock)
        {
            var matches = _users.Values.Where(u =>
                (query.UserId == 0 || u.UserId == query.UserId)
                && (query.UserName.Length == 0 || u.UserName.Contains(query.UserName, StringComparison.Ordinal))
                && (query.Email.Length == 0 || u.Email.Contains(query.Email, StringComparison.Ordinal))).ToList();
            return ValueTask.FromResult(new UserPage
            {
                Users = [.. matches.Skip((int)Math.Min(int.MaxValue, (long)(page - 1) * pageSize)).Take(pageSize).Select(Copy)],
                Total = matches.Count,
                Page = page,
                PageSize = pageSize,
            });
        }
    }

    /// <inheritdoc/>
    public ValueTask<List<UserInfo>> BatchGetUsersAsync(List<int> userIds, CancellationToken cancellationToken = default)
    {
        if (userIds.Count > MaxBatch) throw new TarsException(UserErrors.InvalidArgument, "at most " + MaxBatch + " ids per batch, got " + userIds.Count);
        lock (_lock)
        {
            return ValueTask.FromResult(userIds.Where(_users.ContainsKey).Select(id => Copy(_users[id])).ToList());
        }
    }

    // The store never hands out its own objects: callers in the same process could change them without the lock.
    private static UserInfo Copy(UserInfo user) => new()
    {
        UserId = user.UserId,
        UserName = user.UserName,
        Email = user.Email,
        Age = user.Age,
        CreateTime = user.CreateTime,
        Tags = [.. user.Tags],
        Metadata = new Dictionary<string, string>(user.Metadata),
    };
}
