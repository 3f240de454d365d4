using Meshwork.Rpc.Client;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// The client's deadline message splits the budget into time in the client and time waiting for the server. The deadline
/// sweep reads its clock once per pass, so a call sent after that reading must not be reported as waiting a negative time.
/// </summary>
public class DeadlineMessageTests
{
    private static string Message(long start, long deadline, long sent, long now)
    {
        var call = UnaryCall<string>.Rent(null!, "Test/Sleep", MessageTypes.Plain<string>(), start, deadline);
        try
        {
            call.SentMicros = sent;
            return call.DeadlineError(now).Message;
        }
        finally
        {
            call.ReturnUnused();
        }
    }

    [Fact]
    public void A_call_sent_after_the_sweeps_clock_reading_waited_zero_not_a_negative_time()
    {
        // Budget 10 ms from t=1 s; sent at +9 ms; the sweep read its clock at +8 ms (before the send) and expired it later.
        string message = Message(start: 1_000_000, deadline: 1_010_000, sent: 1_009_000, now: 1_008_000);
        Assert.DoesNotMatch(@"-\d", message);
        Assert.Equal("deadline of 10 ms exceeded for Test/Sleep: 9 ms spent in the client before sending, " +
            "0 ms waiting for  (network and server) with no response", message);
    }

    [Fact]
    public void A_call_queued_after_its_deadline_says_the_budget_was_spent_in_the_client()
    {
        string message = Message(start: 1_000_000, deadline: 1_010_000, sent: 1_012_500, now: 1_011_000);
        Assert.DoesNotMatch(@"-\d", message);
        Assert.StartsWith("deadline of 10 ms exceeded for Test/Sleep: 12.5 ms spent in the client before sending, 0 ms waiting", message);
        Assert.EndsWith("(the deadline had already passed when the request was queued for sending)", message);
    }

    [Fact]
    public void A_call_that_waited_for_the_server_splits_its_budget()
    {
        string message = Message(start: 1_000_000, deadline: 1_010_000, sent: 1_000_500, now: 1_010_300);
        Assert.Equal("deadline of 10 ms exceeded for Test/Sleep: 0.5 ms spent in the client before sending, " +
            "9.8 ms waiting for  (network and server) with no response", message);
    }

    [Fact]
    public void A_call_not_sent_yet_spent_everything_in_the_client()
    {
        string message = Message(start: 1_000_000, deadline: 1_010_000, sent: 0, now: 1_010_200);
        Assert.StartsWith("deadline of 10 ms exceeded for Test/Sleep: 10.2 ms spent in the client before sending, 0 ms waiting", message);
    }
}
