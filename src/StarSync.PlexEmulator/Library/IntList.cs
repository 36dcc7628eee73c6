namespace StarSync.PlexEmulator;

/// <summary>
/// An append-only int list that readers may walk without a lock while one writer (holding the library lock)
/// appends: the writer publishes a grown array before the count, and readers read the count before the array.
/// </summary>
internal sealed class IntList(int capacity)
{
    private int[] _items = new int[Math.Max(capacity, 4)];
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public ReadOnlySpan<int> Snapshot()
    {
        var n = Volatile.Read(ref _count);
        return Volatile.Read(ref _items).AsSpan(0, n);
    }

    public int this[int i] => Volatile.Read(ref _items)[i];

    public void Add(int value)
    {
        var items = _items;
        if (_count == items.Length)
        {
            Array.Resize(ref items, items.Length * 2);
            Volatile.Write(ref _items, items);
        }

        items[_count] = value;
        Volatile.Write(ref _count, _count + 1);
    }
}
