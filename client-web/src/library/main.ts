// The trainers' page, `/recordings`: the library of a room's recordings, and at
// `/recordings/<id>` the player of one.
import '../style.css';
import '../replay/replay.css';
import { byId } from '../dom';
import { installReplayHooks } from '../replay/hooks';
import { openPlayerPage } from '../replay/page';
import { MessageArea } from '../ui/messages';
import { RecordingsApi } from './api';
import { openLibrary } from './list';
import { recordingInPath, takeLibraryToken } from './token';

const messages = new MessageArea(byId('messages', HTMLElement));
const api = new RecordingsApi(takeLibraryToken());
const id = recordingInPath(location.pathname);

if (id !== null) {
  void openPlayerPage(api, id, messages).then((player) => installReplayHooks(player, messages));
} else {
  void openLibrary(api, messages);
}
