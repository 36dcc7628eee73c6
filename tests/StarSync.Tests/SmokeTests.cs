namespace StarSync.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Build_works() => Assert.Equal(2, 1 + 1);
}
