"""Call recordings' background work, run by the worker (the actions in recordings.py do it)."""

from django.tasks import task

from careloop.followup.recordings import do_fill_transcript, do_make_playback_copy


@task()
def make_playback_copy(recording_id: int) -> str:
    return do_make_playback_copy(recording_id)


@task()
def fill_transcript(recording_id: int, language: str) -> str:
    return do_fill_transcript(recording_id, language)
