"""The offline rule-based chat model (the embedded default: no API key, no network).

It is a scripted model in the openai-agents-python sense: it reads the conversation's stored
dialog state (:mod:`agent.dialog`, in the request's context), the patient's new text and this
turn's tool results, and answers with tool calls or a final text, through the same tools and
turn loop as the OpenAI backend; its final text carries what it learned for the state. It understands patients through :mod:`agent.nlu`
and says only what :mod:`agent.copy` words from the clinic's records or a tool result.

Modules, in the order a call uses them:

- :mod:`.parser`: the request taken apart (the new text, this turn's tool results);
- :mod:`.state`: where a booking stands, read from the stored state, and the model's update of
  it; :mod:`.changes`: where a cancel or move stands, and the policy for existing appointments;
- :mod:`.policy`: the main policy (questions, prices, hours, new bookings);
- :mod:`.steps`: answers (a tool call or a final text) and slot-search arguments;
- :mod:`.records`: answering from the clinic's records (``search_knowledge`` results);
- :mod:`.model`: :class:`OfflineModel`, the ``ChatModel`` tying them together.
"""

from agent.offline.model import OfflineModel

__all__ = ["OfflineModel"]
