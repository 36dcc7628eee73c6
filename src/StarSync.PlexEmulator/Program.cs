// Standalone emulated Plex Media Server (see EmulatorHost for options).
return 0;
