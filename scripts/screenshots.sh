#!/usr/bin/env bash
# Takes a screenshot of every page (light, dark, phone) with headless Chromium into docs/screenshots/,
# against a real StarSync and the emulated Plex. Needs ./setup.sh to have run.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/screenshots
STARSYNC_SCREENSHOTS="$PWD/docs/screenshots" dotnet test tests/StarSync.Tests \
  --filter "FullyQualifiedName~BrowserFlowTests.Every_page_renders_with_real_data_in_light_and_dark|FullyQualifiedName~ProgressBrowserTests|FullyQualifiedName~SettingsPageTests.Emptied_and_out_of_range|FullyQualifiedName~RulesEditorBrowserTests.Preview_says_how_old"
echo "Screenshots in docs/screenshots/"
