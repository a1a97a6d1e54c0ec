/**
 * The text the tiny model's tokenizer is trained on: short original passages of plain English
 * (written for this project, not taken from anywhere), varied enough in words, numbers and
 * punctuation to give a byte-level BPE a few hundred useful merges.
 */
export const TINY_CORPUS: readonly string[] = [
  `The harbour town of Marrow Bay wakes before the sun. The first boats leave at five, and by
six the quay smells of rope, diesel and bread from the bakery on Quay Street. The baker, a
quiet man called Tobias Venn, has opened his shop at the same hour for thirty-one years. He
says the secret of good bread is patience, and that most people have far too little of it.`,

  `Above the town stands the lighthouse. It was built in 1874 from grey granite carried up the
hill by horse and cart. The lamp was once turned by a clockwork motor that the keeper had to
wind every four hours through the night. Today the light is automatic, but the keeper's
cottage is still lived in, and the woman who lives there still climbs the stairs each evening
to look at the sea.`,

  `The library is the oldest public building in Marrow Bay. It holds about twelve thousand
books, a collection of ship logs, and a cabinet of letters written by sailors to their
families. The librarian keeps a ledger of every visitor. On a busy day there may be forty
names in it; in the middle of winter there may be three.`,

  `Weather in the bay changes quickly. A clear morning can turn to fog before lunch, and the
fog can lift again in the time it takes to drink a cup of tea. Fishermen read the sky, the
wind and the birds. When the gulls fly inland and sit on the roofs, a storm is coming. When
they sit on the water, the day will be calm.`,

  `Every spring the town holds a market on the green. Farmers bring cheese, honey, apples and
wool; children sell painted shells for ten pence each; and the brass band plays the same five
songs it has played for as long as anyone can remember. Nobody minds. The songs are part of
the market, like the rain that always seems to fall at three o'clock.`,

  `The school has two classrooms and sixty-two pupils. The older children learn about tides,
knots and the stars, as well as reading, writing and numbers. Once a year they walk along the
cliffs to count the nesting birds. Last year they counted 1,286 birds, which was 40 more than
the year before, and the teacher wrote the number on the board in large red letters.`,

  `Ada Penhallow runs the post office. She knows the name of every house and the dog that
lives in it. Parcels arrive on the morning train and leave on the evening one. When a letter
has no address, Ada reads the handwriting, thinks for a moment, and usually knows who sent it
and where it should go. She is right more often than the computer that sorts the mail in the
city.`,

  `In the autumn the nights grow long and the town turns inward. People meet in the hall on
Thursday evenings to play cards, mend nets and tell stories. Some of the stories are true;
most of them have been improved over the years. The best storyteller is an old sailor who
claims to have seen a whale swim under the harbour wall. Nobody believes him, but everybody
listens.`,

  `The river that runs into the bay is small but fast. It turns a mill wheel at the edge of
town, where the miller grinds oats and barley for the farms on the hill. The mill was rebuilt
in 1952 after a flood carried away half of the old wall. A stone by the door shows how high
the water rose: higher than a tall man's head.`,

  `Doctor Imogen Shaw came to Marrow Bay twenty years ago for a summer and never left. Her
surgery is a small room above the chemist's shop, with a window that looks out over the
boats. She says that the sea air cures more than her medicine does, but she still writes
prescriptions, and she still answers the telephone at two in the morning.`,

  `On the last day of the year the whole town walks down to the quay at midnight. The
lighthouse flashes twelve times, the boats sound their horns, and people wish each other a
calm sea and a full net. Then they walk home through the cold streets, and the town is quiet
again until the first boats leave at five.`,

  `Questions the visitors ask most often: Where is the lighthouse? When does the bakery open?
Is the water warm enough to swim? The answers are: on the hill; at half past five; and no,
not even in August. Visitors swim anyway. They come out of the water laughing and blue, and
buy hot bread from Tobias, who tells them that patience would have served them better.`,
];
